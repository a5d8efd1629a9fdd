package import NIOSSL

/// The server's TLS configuration from `server.tls.*`: one certificate for HTTPS and the MySQL
/// protocol; with a CA file, clients must present a certificate it signed (mutual TLS).
package enum TLSSettings {
    /// nil when no certificate is configured. - Throws: ``ConfigurationError`` naming the key and
    /// the file that cannot be used.
    package static func make(_ configuration: SluiceConfiguration) throws -> TLSConfiguration? {
        guard let certFile = configuration.tlsCertFile, let keyFile = configuration.tlsKeyFile else { return nil }
        let chain: [NIOSSLCertificate]
        do {
            chain = try NIOSSLCertificate.fromPEMFile(certFile)
        } catch {
            throw ConfigurationError("server.tls.cert_file \(certFile) is not a readable PEM certificate: \(error)")
        }
        guard !chain.isEmpty else { throw ConfigurationError("server.tls.cert_file \(certFile) holds no certificate") }
        let key: NIOSSLPrivateKey
        do {
            key = try NIOSSLPrivateKey(file: keyFile, format: .pem)
        } catch {
            throw ConfigurationError("server.tls.key_file \(keyFile) is not a readable PEM private key: \(error)")
        }
        var tls = TLSConfiguration.makeServerConfiguration(
            certificateChain: chain.map { .certificate($0) }, privateKey: .privateKey(key))
        tls.minimumTLSVersion = .tlsv12
        if let caFile = configuration.tlsCAFile {
            let roots: [NIOSSLCertificate]
            do {
                roots = try NIOSSLCertificate.fromPEMFile(caFile)
            } catch {
                throw ConfigurationError("server.tls.ca_file \(caFile) is not a readable PEM certificate: \(error)")
            }
            tls.trustRoots = .certificates(roots)
            // Clients have no host name to check: the certificate must chain to the CA.
            tls.certificateVerification = .noHostnameVerification
        }
        return tls
    }
}
