import Testing

@testable import RxDomain

@Suite("Supplier registration rules")
struct SupplierRulesTests: RuleRefusals {
    let distributor = Supplier(
        code: "DIST-1", name: "配送企业", isManufacturer: false, isDistributor: true, manufacturingLicence: nil,
        distributionLicence: "D-1", countsAsManufacturerCode: nil)

    @Test("a supplier that is neither a manufacturer nor a distributor is refused, naming the field")
    func neither() {
        var supplier = distributor
        supplier.isDistributor = false
        #expect(fields { try SupplierRules.checkNew(supplier) }.contains("isManufacturer"))
        #expect(refusal { try SupplierRules.checkNew(distributor) } == nil)
    }

    @Test("两票制: a supplier counts as a manufacturer only through a known manufacturer")
    func countsAsManufacturer() throws {
        let maker = SupplierRules.CountsAsCandidate(id: 7, isManufacturer: true)
        let plain = SupplierRules.CountsAsCandidate(id: 8, isManufacturer: false)
        #expect(try SupplierRules.countsAsManufacturerID(nil, code: nil) == nil)
        #expect(try SupplierRules.countsAsManufacturerID(maker, code: "MFR-1") == 7)
        #expect(field { _ = try SupplierRules.countsAsManufacturerID(plain, code: "DIST-2") } == "countsAsManufacturerCode")
        #expect(field { _ = try SupplierRules.countsAsManufacturerID(nil, code: "NOPE") } == "countsAsManufacturerCode")
    }
}
