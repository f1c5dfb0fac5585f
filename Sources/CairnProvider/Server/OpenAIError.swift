public import Hummingbird
import Foundation

/// An error answered in OpenAI's shape, `{"error": {"message", "type", "param", "code"}}`, with its status.
public struct OpenAIError: Error, Sendable {
    public var status: HTTPResponse.Status
    public var body: OpenAIErrorBody

    public init(_ status: HTTPResponse.Status, type: String, code: String?, message: String, param: String? = nil) {
        self.status = status
        body = OpenAIErrorBody(message: message, type: type, param: param, code: code)
    }

    /// 400 for a malformed or invalid request.
    public static func invalidRequest(_ message: String, param: String? = nil) -> OpenAIError {
        OpenAIError(.badRequest, type: "invalid_request_error", code: "invalid_request_error", message: message, param: param)
    }

    /// 404 for a model the provider does not serve.
    public static func modelNotFound(_ name: String) -> OpenAIError {
        OpenAIError(.notFound, type: "invalid_request_error", code: "model_not_found",
                    message: "the model '\(name.prefix(100))' does not exist or is not served here", param: "model")
    }

    /// 400 for a prompt beyond the model's context.
    public static func contextLengthExceeded(_ message: String, param: String) -> OpenAIError {
        OpenAIError(.badRequest, type: "invalid_request_error", code: "context_length_exceeded", message: message, param: param)
    }

    /// 402 for a payment problem (429 while another request of the channel is served).
    public static func payment(_ rejection: PaymentRejection) -> OpenAIError {
        let status: HTTPResponse.Status = rejection.code == .channelBusy ? .tooManyRequests : .init(code: 402, reasonPhrase: "Payment Required")
        return OpenAIError(status, type: "payment_required", code: rejection.code.rawValue, message: rejection.message)
    }

    /// 502 when the inference backend fails.
    public static func backend(_ message: String) -> OpenAIError {
        OpenAIError(.badGateway, type: "server_error", code: "backend_error", message: message)
    }

    /// 500 for a failure of the provider itself.
    public static func server(_ message: String) -> OpenAIError {
        OpenAIError(.internalServerError, type: "server_error", code: "internal_error", message: message)
    }

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

    /// The JSON bytes of the body.
    var json: Data {
        // Encoding strings cannot fail.
        (try? JSONEncoder().encode(body)) ?? Data(#"{"error":{"message":"error","type":"server_error","param":null,"code":null}}"#.utf8)
    }

    /// The response carrying this error.
    public var response: Response {
        Response(status: status, headers: [.contentType: "application/json"], body: ResponseBody(byteBuffer: ByteBuffer(bytes: json)))
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
            switch e.status {
            case .notFound:
                return OpenAIError(.notFound, type: "invalid_request_error", code: "not_found",
                                   message: "no route for \(request.method) \(request.uri.path)").response
            case .contentTooLarge:
                return OpenAIError(.contentTooLarge, type: "invalid_request_error", code: "request_too_large",
                                   message: "the request body is larger than the limit").response
            case .methodNotAllowed:
                return OpenAIError(.methodNotAllowed, type: "invalid_request_error", code: "method_not_allowed",
                                   message: "\(request.method) is not allowed on \(request.uri.path)").response
            default:
                return OpenAIError(e.status, type: "invalid_request_error", code: nil, message: e.status.reasonPhrase).response
            }
        } catch {
            return OpenAIError.server("\(error)").response
        }
    }
}
