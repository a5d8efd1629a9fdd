#if canImport(Glibc)
    import Glibc
#endif

/// Every connection, segment and journal holds a file descriptor; distributions start processes
/// with a soft limit of 1024, far under `server.max_http_connections`. Like nginx and most
/// servers, start-up raises the soft limit to the hard one (which only root can raise).
enum FileDescriptorLimit {
    /// - Returns: the soft limit now in force.
    @discardableResult
    static func raise() -> Int {
        var limit = rlimit()
        guard getrlimit(Int32(RLIMIT_NOFILE.rawValue), &limit) == 0 else { return 0 }
        if limit.rlim_cur < limit.rlim_max {
            var raised = limit
            raised.rlim_cur = limit.rlim_max
            if setrlimit(Int32(RLIMIT_NOFILE.rawValue), &raised) == 0 { return Int(raised.rlim_cur) }
        }
        return Int(limit.rlim_cur)
    }
}
