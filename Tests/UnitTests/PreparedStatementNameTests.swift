import PostgresNIO
import Testing

@testable import RxStore

/// PostgreSQL keeps a prepared statement's name to its first 63 bytes; two statements whose names agree that far
/// collide on a connection ("prepared statement already exists"), as the member view's variants once did.
@Suite("Prepared statements' names")
struct PreparedStatementNameTests {
    @Test("every prepared statement's name is distinct within PostgreSQL's 63 bytes")
    func namesFit() {
        let names: [String] = [
            StockStore.MemberStockViewStatement<BoundPageRows>.name,
            StockStore.MemberStockViewStatement<PageRows21>.name,
            StockStore.MemberStockViewStatement<PageRows51>.name,
            StockStore.MemberStockViewStatement<PageRows201>.name,
            OrderStore.MemberOrdersPageStatement<BoundPageRows>.name, OrderStore.MemberOrdersPageStatement<PageRows21>.name,
            OrderStore.MemberOrdersPageStatement<PageRows51>.name, OrderStore.MemberOrdersPageStatement<PageRows201>.name,
            ShortageStore.OpenShortagesPageStatement<BoundPageRows>.name,
            ShortageStore.OpenShortagesPageStatement<PageRows21>.name,
            ShortageStore.OpenShortagesPageStatement<PageRows51>.name,
            ShortageStore.OpenShortagesPageStatement<PageRows201>.name, ShortageStore.ListsStatement.name,
            ShortageStore.MembersStatement.name,
            StockStore.DrugStockViewStatement.name, StockStore.IssueFactsStatement.name, StockStore.LocationByCode.name,
            StockStore.DrugFacts.name, StockStore.WriteDispensing.name, StockMovementStore.PostMovements.name,
            DrugStore.DrugByCode.name, DrugStore.DrugsByCodes.name, ConsortiumStore.ConsortiumByCode.name,
            InstitutionStore.InstitutionWithConsortium.name, OrderStore.MemberWithOrderStamp.name, AuditLog.InsertAuditRow.name,
            Settings.SettingValue.name,
            Settings.SettingTexts.name, SupplyOnHandOfPatients.name,
        ]
        for name in names { #expect(name.utf8.count <= 63, "\(name)") }
        #expect(Set(names.map { String(decoding: $0.utf8.prefix(63), as: UTF8.self) }).count == names.count, "\(names)")
    }
}
