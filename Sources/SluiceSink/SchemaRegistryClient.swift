import AsyncHTTPClient
import Foundation
import NIOCore
import NIOFoundationCompat
import NIOHTTP1
package import SluiceLoad

/// The Confluent Schema Registry's `GET <registry>/schemas/ids/<id>` (spec A.2): the fetch of
/// the process-wide ``AvroSchemaCache``. Blocking — the cache calls it from load threads, never
/// from an event loop.
///
/// The registry value may list several URLs: each is asked in turn until one answers; a 4xx
/// answer (an unknown id) is final. Credentials come from each URL's userinfo as Basic auth and
/// appear in no message.
package final class SchemaRegistryClient: Sendable {
    /// One client for the process (never shut down; registry requests are rare). A registry that
    /// refuses connections fails the request at once instead of being retried until the deadline:
    /// the job's own retry (with backoff, then a pause) decides what happens next.
    private static let sharedClient: HTTPClient = {
        var configuration = HTTPClient.Configuration()
        configuration.timeout = HTTPClient.Configuration.Timeout(connect: .seconds(5))
        configuration.connectionPool.retryConnectionEstablishment = false
        return HTTPClient(eventLoopGroup: HTTPClient.defaultEventLoopGroup, configuration: configuration)
    }()
    private let client = SchemaRegistryClient.sharedClient
    private let timeout: TimeAmount

    /// - Parameter timeout: how long one registry may take to answer.
    package init(timeout: Duration = .seconds(10)) {
        self.timeout = .nanoseconds(Int64(timeout.components.seconds) * 1_000_000_000)
    }

    /// A cache whose misses ask this client.
    package func makeCache() -> AvroSchemaCache {
        AvroSchemaCache { [self] registry, id throws(AvroError) in try schema(registry: registry, id: id) }
    }

    /// The writer schema text of `id`.
    /// - Throws: ``AvroError`` `.registry` with libserdes' texts (`REST request failed (code n): …`,
    ///   `No "schema" string field in schema <id> envelope`, …).
    package func schema(registry: String, id: Int32) throws(AvroError) -> String {
        guard let addresses = SchemaRegistryAddress.parseList(registry) else {
            throw AvroError(
                code: .registry, "Unable to load schema \(id) from registry: no 'schema.registry.url' configured")
        }
        var last = AvroError(code: .registry, "REST request failed (code -1): no registry answered")
        for address in addresses {
            do {
                return try fetch(address, id: id)
            } catch let error as Answer {
                switch error {
                case .final(let failure): throw failure
                case .tryNext(let failure): last = failure
                }
            } catch {
                last = AvroError(code: .registry, "REST request failed (code -1): \(error)")
            }
        }
        throw last
    }

    private enum Answer: Error {
        /// The registry answered; asking another would not change it.
        case final(AvroError)
        /// This registry is unreachable or failing: ask the next one.
        case tryNext(AvroError)
    }

    private func fetch(_ address: SchemaRegistryAddress, id: Int32) throws -> String {
        let url = "\(address.base)/schemas/ids/\(id)"
        var headers = HTTPHeaders()
        headers.add(name: "Accept", value: "application/vnd.schemaregistry.v1+json")
        headers.add(name: "Content-Type", value: "application/vnd.schemaregistry.v1+json")
        if let user = address.user {
            let token = Data("\(user):\(address.password ?? "")".utf8).base64EncodedString()
            headers.add(name: "Authorization", value: "Basic \(token)")
        }
        let request: HTTPClient.Request
        do {
            request = try HTTPClient.Request(url: url, method: .GET, headers: headers)
        } catch {
            throw Answer.final(AvroError(code: .registry, "REST request failed (code -1): bad URL \(address.base)"))
        }
        let response: HTTPClient.Response
        do {
            response = try client.execute(request: request, deadline: .now() + timeout).wait()
        } catch {
            throw Answer.tryNext(
                AvroError(code: .registry, "REST request failed (code -1): \(address.base) did not answer (\(error))"))
        }
        let body = response.body.map { String(buffer: $0) } ?? ""
        let status = Int(response.status.code)
        guard (200..<300).contains(status) else {
            let failure = AvroError(code: .registry, "REST request failed (code \(status)): \(body.prefix(512))")
            throw status >= 500 ? Answer.tryNext(failure) : Answer.final(failure)
        }
        let envelope: Any
        do {
            envelope = try JSONSerialization.jsonObject(with: Data(body.utf8))
        } catch {
            throw Answer.final(
                AvroError(code: .registry, "Failed to read schema envelope: \(error.localizedDescription)"))
        }
        guard let object = envelope as? [String: Any], let schema = object["schema"] as? String else {
            throw Answer.final(AvroError(code: .registry, "No \"schema\" string field in schema \(id) envelope"))
        }
        if let type = object["schemaType"] as? String, type.uppercased() != "AVRO" {
            throw Answer.final(
                AvroError(code: .schema, "Schema \(id) is a \(type) schema: only Avro schemas can be read"))
        }
        return schema
    }
}
