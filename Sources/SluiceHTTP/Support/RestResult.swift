import Hummingbird
import NIOCore

/// StarRocks FE's "RestBaseResult" envelope: `{"status":…,"code":…,"msg":…,"message":…}` plus extras.
enum RestResult {
    static func ok(_ extra: [(String, String)] = []) -> Response {
        body(
            status: .ok,
            fields: [("status", "\"OK\""), ("code", "\"0\""), ("msg", "\"Success\""), ("message", "\"OK\"")] + extra)
    }

    static func failed(_ message: String, status: HTTPResponse.Status = .ok, authenticate: Bool = false) -> Response {
        let text = JSONText.string(message)
        return body(
            status: status, fields: [("status", "\"FAILED\""), ("code", "\"1\""), ("msg", text), ("message", text)],
            authenticate: authenticate)
    }

    /// Fields are (key, JSON-encoded value), written in order.
    static func body(status: HTTPResponse.Status, fields: [(String, String)], authenticate: Bool = false) -> Response {
        var headers = HTTPFields()
        headers[.contentType] = "application/json"
        if authenticate { headers[.wwwAuthenticate] = "Basic realm=\"\"" }
        let text = "{" + fields.map { "\(JSONText.string($0.0)):\($0.1)" }.joined(separator: ",") + "}"
        return Response(status: status, headers: headers, body: ResponseBody(byteBuffer: ByteBuffer(string: text)))
    }

    /// 401 for a missing or wrong `Authorization` (as StarRocks' FE answers).
    static func unauthorized(_ outcome: Authenticator.Outcome) -> Response? {
        switch outcome {
        case .authenticated: nil
        case .missing: failed("Need auth information.", status: .unauthorized, authenticate: true)
        case .denied(let user): failed("Access denied for user '\(user)'", status: .unauthorized, authenticate: true)
        }
    }
}
