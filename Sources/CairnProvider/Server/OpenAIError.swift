public import Hummingbird
import HTTPTypes
public import CairnWire
import Foundation

extension OpenAIError {
    /// The backend's failure at the edge: request problems are 400s, anything else 502.
    static func from(_ error: any Error, param: String) -> OpenAIError {
        if let e = error as? OpenAIError { return e }
        if let e = error as? ProviderError {
            switch e.code {
            case .contextLengthExceeded: return .contextLengthExceeded(e.message, param: param)
            case .invalidRequest: return .invalidRequest(e.message)
            default: return .backend(e.message)
            }
        }
        return .backend("\(error)")
    }

    /// The response carrying this error.
    public var response: Response {
        var fields: HTTPFields = [.contentType: "application/json"]
        for h in headers { if let name = HTTPField.Name(h.name) { fields[name] = h.value } }
        return Response(status: status, headers: fields, body: ResponseBody(byteBuffer: ByteBuffer(bytes: json)))
    }
}

/// Turns every error into an OpenAI error body with a fitting status: no bad input gets a bare 500 or an empty body.
public struct OpenAIErrorMiddleware<Context: RequestContext>: RouterMiddleware {
    public init() {}

    public func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
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
