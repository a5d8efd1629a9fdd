#if canImport(Glibc)
    import Glibc
#endif

/// Runs recursive work (a statement's parse, analysis and execution; a load's `columns` and
/// `where`) on a thread with a large stack, whatever thread the caller is on. Dispatch and
/// cooperative-pool threads have small stacks (~512 KiB); an expression at the depth limit
/// needs more in its recursive walks. Costs one thread start and join per call (tens of µs).
package enum LargeStack {
    /// Reserved, not committed: pages are touched only as deep as the work goes.
    package static let size = 256 << 20

    private final class Job {
        let work: () -> Void
        init(_ work: @escaping () -> Void) { self.work = work }
    }

    /// Runs `body` on a large stack and returns its result (inline when the calling thread
    /// already has that much stack left, e.g. a nested call).
    package static func run<T>(_ body: () throws -> T) throws -> T {
        if (StackGuard.remaining ?? 0) >= size / 2 { return try body() }
        var result: Result<T, any Error>?
        withoutActuallyEscaping({ result = Result { try body() } }) { work in
            let job = Job(work)
            var attributes = pthread_attr_t()
            pthread_attr_init(&attributes)
            defer { pthread_attr_destroy(&attributes) }
            pthread_attr_setstacksize(&attributes, size)
            var thread = pthread_t()
            let started = pthread_create(
                &thread, &attributes,
                { raw in
                    Unmanaged<Job>.fromOpaque(raw!).takeUnretainedValue().work()
                    return nil
                }, Unmanaged.passUnretained(job).toOpaque())
            if started == 0 {
                pthread_join(thread, nil)
            } else {
                job.work()  // no thread to be had: run here, the stack guard still holds
            }
        }
        return try result!.get()
    }
}
