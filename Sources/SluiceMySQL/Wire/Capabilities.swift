/// MySQL capability flags (spec mysql-protocol §2.2).
package struct Capabilities: OptionSet, Sendable, Hashable {
    package let rawValue: UInt32
    package init(rawValue: UInt32) { self.rawValue = rawValue }

    package static let longFlag = Capabilities(rawValue: 0x4)
    package static let connectWithDB = Capabilities(rawValue: 0x8)
    package static let protocol41 = Capabilities(rawValue: 0x200)
    package static let ssl = Capabilities(rawValue: 0x800)
    package static let secureConnection = Capabilities(rawValue: 0x8000)
    package static let pluginAuth = Capabilities(rawValue: 0x8_0000)
    package static let connectAttributes = Capabilities(rawValue: 0x10_0000)
    package static let pluginAuthLenencClientData = Capabilities(rawValue: 0x20_0000)

    /// What StarRocks advertises (`0x0018820C`); never DEPRECATE_EOF, SESSION_TRACK, COMPRESS,
    /// LOCAL_FILES, MULTI_STATEMENTS/RESULTS or TRANSACTIONS, so clients take StarRocks' paths.
    package static let server: Capabilities = [
        .longFlag, .connectWithDB, .protocol41, .secureConnection, .pluginAuth, .connectAttributes,
    ]
}
