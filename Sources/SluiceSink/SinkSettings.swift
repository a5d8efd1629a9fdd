package import Foundation

/// Where and how a daemon in remote-sink mode reaches its sink (the `sink` object of the
/// configuration: `{"url": "http://127.0.0.1:8030", "user": "root", "password": "", "api": "sluice"}`).
package struct SinkSettings: Sendable, Hashable {
    /// Which interface the sink speaks.
    package enum API: String, Sendable, Hashable, CaseIterable {
        /// Another Sluice node: fenced source commits and progress reads (tier 1).
        case sluice
        /// Only the documented StarRocks interface (StarRocks, Doris, or a Sluice node with
        /// `load.source_commit_api=false`): per-partition transactions fenced by label (tiers 2/3).
        case standard
    }

    /// `http(s)://host:port` of the sink (a StarRocks FE, or a Sluice node).
    package var url: URL
    package var user: String
    /// Never printed: ``description`` masks it.
    package var password: String
    package var api: API
    /// Hosts a redirect may lead to with the credentials (a StarRocks FE sends loads to its BEs);
    /// the URL's own host is always allowed.
    package var clusterHosts: Set<String>
    /// How long one call keeps retrying a sink that is down or answers 5xx.
    package var retryFor: Duration = .seconds(30)
    package var requestTimeout: Duration = .seconds(120)

    /// - Throws: a message naming the bad value.
    package init(url: String, user: String, password: String, api: String, clusterHosts: [String] = [])
        throws(SinkSettingsError)
    {
        guard let parsed = URL(string: url), let scheme = parsed.scheme?.lowercased(),
            ["http", "https"].contains(scheme),
            let host = parsed.host, !host.isEmpty
        else {
            throw SinkSettingsError("sink.url must be http://host:port or https://host:port, got '\(url)'")
        }
        guard parsed.path.isEmpty || parsed.path == "/", parsed.query == nil else {
            throw SinkSettingsError("sink.url must not carry a path or query (got '\(url)'): the API paths are fixed")
        }
        guard let api = API(rawValue: api) else {
            throw SinkSettingsError("sink.api must be one of \(API.allCases.map(\.rawValue)), got '\(api)'")
        }
        guard !user.isEmpty else { throw SinkSettingsError("sink.user must name the sink's user") }
        self.url = parsed
        self.user = user
        self.password = password
        self.api = api
        self.clusterHosts = Set(clusterHosts.map { $0.lowercased() } + [host.lowercased()])
    }

    /// The URL with the credentials left out (for logs and SHOW).
    package var description: String { "\(url.absoluteString) as \(user) (\(api.rawValue) API)" }
}

/// A `sink` setting that cannot work.
package struct SinkSettingsError: Error, Sendable, CustomStringConvertible {
    package var message: String
    package init(_ message: String) { self.message = message }
    package var description: String { message }
}
