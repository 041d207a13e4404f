internal import Foundation
import HTTPTypes
import Hummingbird

/// Sends `ETag` as an RFC 9110 entity-tag (`"2.1"`). The generated server writes header values URI-encoded
/// (`%222.1%22`), which a client cannot echo back in `If-Match` as HTTP intends.
struct EntityTagMiddleware<Context: RequestContext>: RouterMiddleware {
    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response
    {
        var response = try await next(request, context)
        if let tag = response.headers[.eTag], tag.contains("%"), let decoded = tag.removingPercentEncoding {
            response.headers[.eTag] = decoded
        }
        return response
    }
}
