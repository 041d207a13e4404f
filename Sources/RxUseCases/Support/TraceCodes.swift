/// Prescription trace codes (rxTraceCode, 20 characters) for the e-prescription record: a two-letter prefix and 18
/// random characters (digits and capitals without I and O); unique in the consortium by the schema.
enum TraceCodes {
    static func make(prefix: String) -> String {
        let characters = Array("0123456789ABCDEFGHJKLMNPQRSTUVWXYZ")
        var generator = SystemRandomNumberGenerator()
        return prefix + String((0..<18).map { _ in characters[Int.random(in: 0..<characters.count, using: &generator)] })
    }
}
