/// This build's version (`sluice --version`, `sluice_build_info` in `/metrics`).
package enum SluiceVersion {
    package static let current = "0.9.0"
}
