import Foundation
import SluiceIO
import SluiceServer
import SluiceTesting
import Testing

/// TLS on both ports with the clients people use: curl over HTTPS (`--cacert`, client
/// certificates), the `mysql` client's SSLRequest path, plaintext refused where required.
@Suite(.serialized) struct TLSTests {
    /// A CA, a server certificate for 127.0.0.1 and a client certificate, made with openssl.
    struct Certificates {
        let directory: String
        var ca: String { directory + "/ca.pem" }
        var serverCert: String { directory + "/server.pem" }
        var serverKey: String { directory + "/server.key" }
        var clientCert: String { directory + "/client.pem" }
        var clientKey: String { directory + "/client.key" }

        init() throws {
            directory = makeTemporaryDirectory()
            let d = directory
            try Self.openssl([
                "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "2", "-subj", "/CN=Sluice Test CA",
                "-keyout", "\(d)/ca.key", "-out", "\(d)/ca.pem",
            ])
            for (name, extensions) in [
                ("server", "subjectAltName=IP:127.0.0.1,DNS:localhost"), ("client", "extendedKeyUsage=clientAuth"),
            ] {
                try Self.openssl([
                    "req", "-newkey", "rsa:2048", "-nodes", "-subj", "/CN=\(name)", "-keyout", "\(d)/\(name).key",
                    "-out", "\(d)/\(name).csr",
                ])
                try extensions.write(toFile: "\(d)/\(name).ext", atomically: true, encoding: .utf8)
                try Self.openssl([
                    "x509", "-req", "-in", "\(d)/\(name).csr", "-CA", "\(d)/ca.pem", "-CAkey", "\(d)/ca.key",
                    "-CAcreateserial", "-days", "2", "-extfile", "\(d)/\(name).ext", "-out", "\(d)/\(name).pem",
                ])
            }
        }

        static func openssl(_ arguments: [String]) throws {
            let process = Process()
            process.executableURL = URL(fileURLWithPath: "/usr/bin/openssl")
            process.arguments = arguments
            process.standardOutput = FileHandle.nullDevice
            process.standardError = FileHandle.nullDevice
            try process.run()
            process.waitUntilExit()
            guard process.terminationStatus == 0 else {
                throw ServerProcessError("openssl \(arguments.joined(separator: " ")) failed")
            }
        }
    }

    /// Runs a command; returns its exit status and combined output.
    static func command(_ arguments: [String]) async throws -> (status: Int32, output: String) {
        try await BlockingIO.run {
            let process = Process()
            process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
            process.arguments = arguments
            let pipe = Pipe()
            process.standardOutput = pipe
            process.standardError = pipe
            try process.run()
            let data = pipe.fileHandleForReading.readDataToEndOfFile()
            process.waitUntilExit()
            return (process.terminationStatus, String(decoding: data, as: UTF8.self))
        }
    }

    static func start(_ certificates: Certificates, extra: [String] = [], environment: [String: String] = [:])
        async throws -> (ServerProcess, mysqlPort: Int, directory: String)
    {
        let directory = makeTemporaryDirectory()
        let port = freeTCPPort()
        let arguments =
            [
                "--query-port", String(port), "--tls-cert-file", certificates.serverCert, "--tls-key-file",
                certificates.serverKey,
            ] + extra
        let server = try await BlockingIO.run {
            try ServerProcess(dataDirectory: directory, arguments: arguments, environment: environment)
        }
        return (server, port, directory)
    }

    @Test(.timeLimit(.minutes(2)))
    func httpsAndMySQLTLSWithTheRealClients() async throws {
        let certificates = try Certificates()
        defer { try? FileManager.default.removeItem(atPath: certificates.directory) }
        let (server, mysqlPort, directory) = try await Self.start(certificates)
        defer {
            _ = server.terminate()
            try? FileManager.default.removeItem(atPath: directory)
        }
        let base = "https://127.0.0.1:\(server.port)"
        // HTTPS verified against the CA: SQL, then a Stream Load over TLS.
        let created = try await Self.command([
            "curl", "-sS", "--cacert", certificates.ca, "-u", "root:", "-H", "Content-Type: application/json", "-d",
            #"{"query": "CREATE DATABASE db"}"#,
            "\(base)/api/v1/catalogs/default_catalog/sql",
        ])
        #expect(created.status == 0 && !created.output.contains("FAILED"), "\(created.output)")
        let table = try await Self.command([
            "curl", "-sS", "--cacert", certificates.ca, "-u", "root:", "-H", "Content-Type: application/json", "-d",
            #"{"query": "CREATE TABLE db.t (id INT) DUPLICATE KEY(id) DISTRIBUTED BY HASH(id) BUCKETS 1"}"#,
            "\(base)/api/v1/catalogs/default_catalog/sql",
        ])
        #expect(table.status == 0 && !table.output.contains("FAILED"), "\(table.output)")
        let body = makeTemporaryDirectory() + "/rows.csv"
        try "1\n2\n3\n".write(toFile: body, atomically: true, encoding: .utf8)
        let load = try await Self.command([
            "curl", "-sS", "--cacert", certificates.ca, "--location-trusted", "-u", "root:", "-H", "label: tls1", "-T",
            body, "\(base)/api/db/t/_stream_load",
        ])
        #expect(
            load.output.contains(#""Status": "Success""#) || load.output.contains(#""Status":"Success""#),
            "\(load.output)")
        // An unknown CA is refused by curl; plaintext HTTP gets no HTTP answer.
        #expect(try await Self.command(["curl", "-sS", "-u", "root:", "\(base)/api/health"]).status != 0)
        let plaintext = try await Self.command([
            "curl", "-sS", "-u", "root:", "http://127.0.0.1:\(server.port)/api/health",
        ])
        #expect(plaintext.status != 0 || !plaintext.output.contains("OK"), "\(plaintext.output)")

        // The mysql client: TLS when asked (cipher shown by `status`), plaintext still allowed.
        let mysql = ["mysql", "-h127.0.0.1", "-P\(mysqlPort)", "-uroot"]
        let secure = try await Self.command(
            mysql + [
                "--ssl", "--ssl-ca=\(certificates.ca)", "--ssl-verify-server-cert", "-e",
                "status; SELECT count(*) FROM db.t",
            ])
        #expect(secure.status == 0, "\(secure.output)")
        #expect(secure.output.contains("Cipher in use is TLS"), "\(secure.output)")
        #expect(secure.output.contains("3"))
        let plain = try await Self.command(mysql + ["--skip-ssl", "-N", "-e", "SELECT 1"])
        #expect(plain.status == 0 && plain.output.contains("1"), "\(plain.output)")
    }

    @Test(.timeLimit(.minutes(2)))
    func clientCertificatesAndRequiredSecureTransport() async throws {
        let certificates = try Certificates()
        defer { try? FileManager.default.removeItem(atPath: certificates.directory) }
        let (server, mysqlPort, directory) = try await Self.start(
            certificates, extra: ["--tls-ca-file", certificates.ca],
            environment: ["SLUICE_SERVER_REQUIRE_SECURE_TRANSPORT": "true"])
        defer {
            _ = server.terminate()
            try? FileManager.default.removeItem(atPath: directory)
        }
        let health = "https://127.0.0.1:\(server.port)/api/health"
        // Without a client certificate the TLS handshake fails; with one the CA signed it works.
        #expect(try await Self.command(["curl", "-sS", "--cacert", certificates.ca, health]).status != 0)
        let withCert = try await Self.command([
            "curl", "-sS", "--cacert", certificates.ca, "--cert", certificates.clientCert, "--key",
            certificates.clientKey,
            health,
        ])
        #expect(withCert.status == 0 && withCert.output.contains("OK"), "\(withCert.output)")

        let mysql = ["mysql", "-h127.0.0.1", "-P\(mysqlPort)", "-uroot", "-N"]
        let refused = try await Self.command(mysql + ["--skip-ssl", "-e", "SELECT 1"])
        #expect(refused.status != 0)
        #expect(refused.output.contains("5205") && refused.output.contains("insecure transport"), "\(refused.output)")
        let noCert = try await Self.command(mysql + ["--ssl", "--ssl-ca=\(certificates.ca)", "-e", "SELECT 1"])
        #expect(noCert.status != 0, "\(noCert.output)")
        let mutual = try await Self.command(
            mysql + [
                "--ssl", "--ssl-ca=\(certificates.ca)", "--ssl-cert=\(certificates.clientCert)",
                "--ssl-key=\(certificates.clientKey)", "-e", "SELECT 42",
            ])
        #expect(mutual.status == 0 && mutual.output.contains("42"), "\(mutual.output)")
    }

    @Test func tlsSettingsAreChecked() async throws {
        let certificates = try Certificates()
        defer { try? FileManager.default.removeItem(atPath: certificates.directory) }
        func failure(_ overrides: [String: String]) async -> String {
            do {
                var all = ["data_dir": "/tmp/unused"]
                all.merge(overrides) { _, b in b }
                let configuration = try await SluiceConfiguration.load(file: nil, overrides: all, environment: [:])
                _ = try TLSSettings.make(configuration)
                return ""
            } catch {
                return "\(error)"
            }
        }
        #expect(await failure(["server.tls.cert_file": certificates.serverCert]).contains("go together"))
        #expect(await failure(["server.require_secure_transport": "true"]).contains("needs TLS"))
        #expect(
            await failure([
                "server.tls.cert_file": certificates.serverKey, "server.tls.key_file": certificates.serverKey,
            ])
            .contains("server.tls.cert_file"))
        #expect(
            await failure([
                "server.tls.cert_file": certificates.serverCert,
                "server.tls.key_file": certificates.directory + "/nope",
            ]).contains("server.tls.key_file"))
        #expect(
            await failure([
                "server.tls.cert_file": certificates.serverCert, "server.tls.key_file": certificates.serverKey,
            ])
                == "")
    }
}
