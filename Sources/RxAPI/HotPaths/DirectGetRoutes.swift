import Hummingbird
import RxDomain

/// The reads answered by `DirectGetRoute`, each with what it reads exactly; anything else is the generated route's.
extension DirectGetRoute {
    /// A member's stock page with no filter, `GET /v1/institutions/{code}/stock[?limit=N][&cursor=C]`: the list a
    /// pharmacy opens and a HIS polls. Its read is one statement (`StockStore.memberView`), so writing twenty lots
    /// through `JSONEncoder` and the OpenAPI transport cost more than the read.
    static func memberStock(handler: APIHandler, roles: OperationRoles) -> Self {
        Self("/v1/institutions/{code}/stock", operation: Operations.ListInstitutionStock.id, roles: roles) { request, path in
            guard let code = path.get("code"), DirectRoute.isCode(code), let page = DirectRoute.pageQuery(request.uri.query)
            else { return nil }
            return { try await handler.memberStock(code: code, limit: page.limit, cursor: page.cursor).json }
        }
    }

    /// A drug's stock across the consortium, `GET /v1/consortia/{code}/stock/drugs/{drugCode}`: one statement
    /// (`StockStore.drugView`).
    static func drugStock(handler: APIHandler, roles: OperationRoles) -> Self {
        Self(
            "/v1/consortia/{code}/stock/drugs/{drugCode}", operation: Operations.GetDrugStockAcrossConsortium.id, roles: roles
        ) { request, path in
            guard let code = path.get("code"), DirectRoute.isCode(code), let drugCode = path.get("drugCode"),
                DirectRoute.isDrugCode(drugCode), DirectRoute.hasNoQuery(request)
            else { return nil }
            return { try await handler.drugStock(consortiumCode: code, drugCode: drugCode).json }
        }
    }

    /// The catalogue in effect today as JSON, `GET /v1/consortia/{code}/catalogue` with no query: what every member's
    /// HIS reads to know what it may prescribe and order, hundreds of items. A day, CSV or FHIR is the generated
    /// route's.
    static func catalogueInEffect(handler: APIHandler, roles: OperationRoles) -> Self {
        Self("/v1/consortia/{code}/catalogue", operation: Operations.GetCatalogueInEffect.id, roles: roles) { request, path in
            guard let code = path.get("code"), DirectRoute.isCode(code), DirectRoute.hasNoQuery(request) else { return nil }
            return { try await handler.catalogueInEffectToday(code: code) }
        }
    }

    /// A member's orders page with no filter, `GET /v1/institutions/{code}/orders[?limit=N][&cursor=C]`: the list a
    /// member's HIS polls for its orders' states, fifty orders with their lines, read and written once for the
    /// requests of the same page that arrive together (`ReadSharing`). A `status` filter is the generated route's.
    static func memberOrders(handler: APIHandler, roles: OperationRoles) -> Self {
        Self("/v1/institutions/{code}/orders", operation: Operations.ListOrders.id, roles: roles) { request, path in
            guard let code = path.get("code"), DirectRoute.isCode(code), let page = DirectRoute.pageQuery(request.uri.query)
            else { return nil }
            return { try await handler.memberOrdersJSON(code: code, limit: page.limit, cursor: page.cursor) }
        }
    }

    /// The open shortages with no filter, `GET /v1/consortia/{code}/shortages[?limit=N][&cursor=C]`: the list the
    /// pharmacy centre and every member's dashboard poll, fifty records with their affected members, read and
    /// written once for the requests of the same page and view that arrive together (`ReadSharing`). A filter
    /// (`level`, `list`, `member`) is the generated route's.
    static func openShortages(handler: APIHandler, roles: OperationRoles) -> Self {
        Self("/v1/consortia/{code}/shortages", operation: Operations.ListOpenShortages.id, roles: roles) { request, path in
            guard let code = path.get("code"), DirectRoute.isCode(code), let page = DirectRoute.pageQuery(request.uri.query)
            else { return nil }
            return { try await handler.openShortagesJSON(code: code, limit: page.limit, cursor: page.cursor) }
        }
    }

    /// The spend report, `GET /v1/consortia/{code}/spend?from=YYYY-MM-DD&to=YYYY-MM-DD`: a year of a consortium is
    /// thousands of rows (member, drug and month). Any other query is the generated route's.
    static func spendReport(handler: APIHandler, roles: OperationRoles) -> Self {
        Self("/v1/consortia/{code}/spend", operation: Operations.GetSpendReport.id, roles: roles) { request, path in
            guard let code = path.get("code"), DirectRoute.isCode(code), let period = DirectRoute.periodQuery(request.uri.query)
            else { return nil }
            return { try await handler.spendReport(code: code, from: period.from, to: period.to).json }
        }
    }
}
