import Hummingbird
import HTTPTypes
import CairnWire

extension OpenAIError {
    /// The gateway's answer carrying this error.
    var response: Response {
        var fields: HTTPFields = [.contentType: "application/json"]
        for h in headers { if let name = HTTPField.Name(h.name) { fields[name] = h.value } }
        return Response(status: status, headers: fields, body: ResponseBody(byteBuffer: ByteBuffer(bytes: json)))
    }
}

/// Answers every error of the gateway's routes in OpenAI's shape, so that OpenAI clients read it: the route's own
/// `OpenAIError`, the router's refusals (no route, body too large), and anything else as a 500.
struct GatewayErrorMiddleware<Context: RequestContext>: RouterMiddleware {
    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        do {
            return try await next(request, context)
        } catch let e as OpenAIError {
            return e.response
        } catch let e as any HTTPResponseError {
            return OpenAIError.routing(e.status, method: "\(request.method)", path: request.uri.path).response
        } catch {
            return OpenAIError.server("\(error)").response
        }
    }
}
