public import HTTPTypes
public import Foundation

/// An error answered in OpenAI's shape, `{"error": {"message", "type", "param", "code"}}`, with its status.
///
/// Both servers (provider and gateway) answer these; each turns them into its framework's response at its edge.
public struct OpenAIError: Error, Sendable {
    public var status: HTTPResponse.Status
    public var body: OpenAIErrorBody
    /// Extra headers of the answer (the payment rejection's code).
    public var headers: [(name: String, value: String)] = []

    public init(_ status: HTTPResponse.Status, type: String, code: String?, message: String, param: String? = nil) {
        self.status = status
        body = OpenAIErrorBody(message: message, type: type, param: param, code: code)
    }

    /// 400 for a malformed or invalid request.
    public static func invalidRequest(_ message: String, param: String? = nil) -> OpenAIError {
        OpenAIError(.badRequest, type: "invalid_request_error", code: "invalid_request_error", message: message, param: param)
    }

    /// 404 for a model that is not served.
    public static func modelNotFound(_ name: String) -> OpenAIError {
        OpenAIError(.notFound, type: "invalid_request_error", code: "model_not_found",
                    message: "the model '\(name.prefix(100))' does not exist or is not served here", param: "model")
    }

    /// 400 for a prompt beyond the model's context.
    public static func contextLengthExceeded(_ message: String, param: String) -> OpenAIError {
        OpenAIError(.badRequest, type: "invalid_request_error", code: "context_length_exceeded", message: message, param: param)
    }

    /// 402 for a payment problem (429 while another request of the channel is served), its code also in a header.
    public static func payment(_ rejection: PaymentRejection) -> OpenAIError {
        let status: HTTPResponse.Status = rejection.code == .channelBusy ? .tooManyRequests : .init(code: 402, reasonPhrase: "Payment Required")
        var e = OpenAIError(status, type: "payment_required", code: rejection.code.rawValue, message: rejection.message)
        e.headers = [(CairnHeader.paymentRejection, rejection.code.rawValue)]
        return e
    }

    /// 502 when an inference backend fails.
    public static func backend(_ message: String) -> OpenAIError {
        OpenAIError(.badGateway, type: "server_error", code: "backend_error", message: message)
    }

    /// 500 for a failure of the server itself.
    public static func server(_ message: String) -> OpenAIError {
        OpenAIError(.internalServerError, type: "server_error", code: "internal_error", message: message)
    }

    /// The error of a request the router could not take: no such route, a body over the limit, a method not allowed.
    public static func routing(_ status: HTTPResponse.Status, method: String, path: String) -> OpenAIError {
        switch status {
        case .notFound:
            OpenAIError(.notFound, type: "invalid_request_error", code: "not_found", message: "no route for \(method) \(path)")
        case .contentTooLarge:
            OpenAIError(.contentTooLarge, type: "invalid_request_error", code: "request_too_large", message: "the request body is larger than the limit")
        case .methodNotAllowed:
            OpenAIError(.methodNotAllowed, type: "invalid_request_error", code: "method_not_allowed", message: "\(method) is not allowed on \(path)")
        default:
            OpenAIError(status, type: "invalid_request_error", code: nil, message: status.reasonPhrase)
        }
    }

    /// The JSON bytes of the body.
    public var json: Data {
        // Encoding strings cannot fail.
        (try? JSONEncoder().encode(body)) ?? Data(#"{"error":{"message":"error","type":"server_error","param":null,"code":null}}"#.utf8)
    }
}
