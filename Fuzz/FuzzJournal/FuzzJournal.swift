import CLibFuzzer
import Foundation
import SluiceIO
import SluiceStorage
import SluiceTesting

/// libFuzzer entry point for the metadata journal as recovery reads it. Even first byte: the rest
/// is a journal file — frames are cut and checked (length, CRC, resynchronisation past damage)
/// and every intact record is decoded and applied. Odd first byte: the rest is record payloads,
/// one per line, decoded and applied in order as if their frames were intact (what a bug, not a
/// disk, would write), then the whole text is tried as a checkpoint. Damage and nonsense must
/// become errors or be ignored; applying must never crash.
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzJournal(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
    guard size >= 1 else { return 0 }
    let bytes = Array(UnsafeBufferPointer(start: data + 1, count: size - 1))
    var payloads = [[UInt8]]()
    if data[0] & 1 == 0 {
        let fileSystem = SimulatedFileSystem()
        guard let file = try? fileSystem.createFile("/journal") else { return 0 }
        try? file.append(bytes)
        guard let log = try? RecordLogReader.read(fileSystem: fileSystem, path: "/journal") else { return 0 }
        payloads = log.records.map(\.payload)
    } else {
        payloads = bytes.split(separator: 10, omittingEmptySubsequences: true).map(Array.init)
        _ = try? JSONDecoder().decode(MetaState.self, from: Data(bytes))
    }
    var state = MetaState()
    let decoder = JSONDecoder()
    for payload in payloads.prefix(256) {
        guard let record = try? decoder.decode(JournalRecord.self, from: Data(payload)) else { continue }
        state.apply(record)
    }
    return 0
}

/// The executable's entry point (SwiftPM calls it `FuzzJournal_main`): libFuzzer's driver.
@_cdecl("FuzzJournal_main")
public func fuzzMain(_ argc: CInt, _ argv: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>) -> CInt {
    sluice_fuzz_main(argc, argv) { data, size in fuzzJournal(data!, size) }
}
