/// This build's version (`sluice --version`, `sluice_build_info` in `/metrics`).
public enum SluiceVersion {
    public static let current = "0.9.0"
}
