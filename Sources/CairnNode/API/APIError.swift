public import Hummingbird
import Foundation
import CairnLedger

/// An error answered to an HTTP client: status, stable code and message.
public struct APIError: Error, Sendable {
    public let status: HTTPResponse.Status
    public let code: String
    public let message: String

    public init(_ status: HTTPResponse.Status, _ code: String, _ message: String) {
        self.status = status
        self.code = code
        self.message = message
    }

    static func badRequest(_ code: String, _ message: String) -> APIError { APIError(.badRequest, code, message) }
    static func notFound(_ message: String) -> APIError { APIError(.notFound, "not_found", message) }
}

/// Turns every error into the JSON body `{ "error": { "code", "message" } }` with a fitting status,
/// so bad input never reaches the client as a bare 500 or an empty body.
struct ErrorMiddleware<Context: RequestContext>: RouterMiddleware {
    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        do {
            return try await next(request, context)
        } catch let e as APIError {
            return ErrorMiddleware.response(e.status, e.code, e.message)
        } catch let e as any HTTPResponseError {
            let (code, message): (String, String) = switch e.status {
            case .notFound: ("not_found", "no route for \(request.method) \(request.uri.path)")
            case .contentTooLarge: ("body_too_large", "request body is larger than the limit")
            case .methodNotAllowed: ("method_not_allowed", "\(request.method) is not allowed on \(request.uri.path)")
            default: ("http_\(e.status.code)", (e as? HTTPError)?.body ?? e.status.reasonPhrase)
            }
            return ErrorMiddleware.response(e.status, code, message)
        } catch let e as DecodingError {
            return ErrorMiddleware.response(.badRequest, "malformed_json", describe(e))
        } catch {
            return ErrorMiddleware.response(.internalServerError, "internal", "\(error)")
        }
    }

    func describe(_ e: DecodingError) -> String {
        switch e {
        case let .dataCorrupted(c): "invalid JSON: \(c.debugDescription)"
        case let .keyNotFound(k, _): "missing field '\(k.stringValue)'"
        case let .typeMismatch(t, c): "field '\(c.codingPath.map(\.stringValue).joined(separator: "."))' must be \(t)"
        case let .valueNotFound(t, c): "field '\(c.codingPath.map(\.stringValue).joined(separator: "."))' must be a \(t), got null"
        @unknown default: "invalid JSON"
        }
    }

    static func response(_ status: HTTPResponse.Status, _ code: String, _ message: String) -> Response {
        // Encoding two strings cannot fail.
        let body = try! JSONEncoder.api.encode(ErrorBody(code: code, message: message))
        return Response(status: status, headers: [.contentType: "application/json"],
                        body: ResponseBody(byteBuffer: ByteBuffer(bytes: body)))
    }
}
