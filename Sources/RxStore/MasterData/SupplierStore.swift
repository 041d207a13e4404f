import Logging
import PostgresNIO
import RxDomain

package enum SupplierRole: String, Sendable {
    case manufacturer, distributor
}

/// Manufacturers and distributors (配送企业), shared by every consortium.
package struct SupplierStore: SQLStore {
    let database: Database

    package init(database: Database) {
        self.database = database
    }

    typealias Row = (String, String, Bool, Bool, String?, String?, String?)

    static func supplier(_ r: Row) -> Supplier {
        Supplier(
            code: r.0, name: r.1, isManufacturer: r.2, isDistributor: r.3, manufacturingLicence: r.4,
            distributionLicence: r.5, countsAsManufacturerCode: r.6)
    }

    /// Suppliers by code, optionally only manufacturers or distributors, or those whose name holds `name` in any case.
    package func list(role: SupplierRole?, name: String? = nil, page: PageRequest) async throws -> Page<Supplier> {
        let pattern = name.map { "%\($0.likeEscaped)%" }
        let rows = try await database.rows(
            """
            SELECT s.code, s.name, s.is_manufacturer, s.is_distributor, s.manufacturing_licence,
                   s.distribution_licence, m.code
            FROM suppliers s LEFT JOIN suppliers m ON m.id = s.counts_as_manufacturer_id
            WHERE s.code > \(page.after ?? "")
              AND (\(role?.rawValue)::text IS NULL
                   OR (\(role?.rawValue) = 'manufacturer' AND s.is_manufacturer)
                   OR (\(role?.rawValue) = 'distributor' AND s.is_distributor))
              AND (\(pattern)::text IS NULL OR lower(s.name) LIKE lower(\(pattern)) ESCAPE '\\')
            ORDER BY s.code
            LIMIT \(page.limit + 1)
            """, as: Row.self)
        return Page(rows: rows.map(Self.supplier), limit: page.limit, key: \.code)
    }

    package func find(code: String, on connection: PostgresConnection) async throws -> Supplier? {
        try await connection.row(
            """
            SELECT s.code, s.name, s.is_manufacturer, s.is_distributor, s.manufacturing_licence,
                   s.distribution_licence, m.code
            FROM suppliers s LEFT JOIN suppliers m ON m.id = s.counts_as_manufacturer_id
            WHERE s.code = \(code)
            """, as: Row.self, logger: database.logger
        ).map(Self.supplier)
    }

    /// The supplier a new one would count as a manufacturer as (两票制), with whether it is a manufacturer.
    package func countsAsCandidate(code: String, on connection: PostgresConnection) async throws
        -> SupplierRules.CountsAsCandidate?
    {
        try await connection.row(
            "SELECT id, is_manufacturer FROM suppliers WHERE code = \(code)", as: (Int64, Bool).self, logger: logger
        ).map { SupplierRules.CountsAsCandidate(id: $0.0, isManufacturer: $0.1) }
    }

    package func insert(_ supplier: Supplier, countsAsManufacturerID: Int64?, on connection: PostgresConnection) async throws {
        try await connection.run(
            """
            INSERT INTO suppliers (code, name, is_manufacturer, is_distributor, manufacturing_licence,
                                   distribution_licence, counts_as_manufacturer_id)
            VALUES (\(supplier.code), \(supplier.name), \(supplier.isManufacturer), \(supplier.isDistributor),
                    \(supplier.manufacturingLicence), \(supplier.distributionLicence), \(countsAsManufacturerID))
            """, logger: logger)
    }
}
