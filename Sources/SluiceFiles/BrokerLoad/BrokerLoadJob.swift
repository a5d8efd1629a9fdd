import Foundation

/// The states of a Broker Load job (spec C.2), as SHOW LOAD prints them.
package enum BrokerLoadState: String, Codable, Sendable, CaseIterable {
    case pending = "PENDING"
    case queueing = "QUEUEING"
    case loading = "LOADING"
    case finished = "FINISHED"
    case cancelled = "CANCELLED"

    /// What happens to a job.
    package enum Event: Sendable {
        /// Over `max_broker_load_job_concurrency`: wait for a slot.
        case queue
        /// Its files are listed and its transaction begins.
        case startLoading
        /// Its transaction committed.
        case finish
        /// Cancelled by the user, a failure or the timeout.
        case cancel
        /// The process restarted before the job ended: run it again (its label was not committed).
        case restart
    }

    /// Whether the job still runs or waits to (CANCEL LOAD applies; the label is taken).
    package var isUnfinished: Bool { self != .finished && self != .cancelled }

    /// The state after `event`, or nil when the event does not apply (a finished job is never
    /// cancelled, a cancelled one never finishes).
    package func after(_ event: Event) -> BrokerLoadState? {
        switch (self, event) {
        case (.pending, .queue): .queueing
        case (.pending, .startLoading), (.queueing, .startLoading): .loading
        case (.loading, .finish): .finished
        case (.pending, .cancel), (.queueing, .cancel), (.loading, .cancel): .cancelled
        case (.pending, .restart), (.queueing, .restart), (.loading, .restart): .pending
        default: nil
        }
    }
}

/// Why a job was cancelled: StarRocks' CancelType (`FailMsg.java`, underscores) and message.
package struct BrokerLoadFailure: Codable, Sendable, Hashable {
    package enum Kind: String, Codable, Sendable {
        case userCancel = "USER_CANCEL"
        case etlSubmitFail = "ETL_SUBMIT_FAIL"
        case etlRunFail = "ETL_RUN_FAIL"
        case etlQualityUnsatisfied = "ETL_QUALITY_UNSATISFIED"
        case loadRunFail = "LOAD_RUN_FAIL"
        case timeout = "TIMEOUT"
        case unknown = "UNKNOWN"
        case transactionUnknown = "TXN_UNKNOWN"
    }

    package var kind: Kind
    package var message: String

    package init(_ kind: Kind, _ message: String) {
        self.kind = kind
        self.message = message
    }
}

/// Rows and bytes a job read and wrote (SHOW LOAD's EtlInfo and JobDetails).
package struct BrokerLoadCounters: Codable, Sendable, Hashable {
    package var scanRows = 0
    package var scanBytes = 0
    /// Rows that passed the filters and were written (`dpp.norm.ALL`).
    package var loadedRows = 0
    /// Rows rejected by conversion or quality checks (`dpp.abnorm.ALL`).
    package var filteredRows = 0
    /// Rows the `WHERE` dropped (`unselected.rows`).
    package var unselectedRows = 0
    package var loadedBytes = 0

    package init() {}
}

/// One Broker Load job: what the statement asked for and how far it got. Journaled whole (as a
/// ``FileLoadJobRecord`` payload) at every state change, so SHOW LOAD reads the same after a
/// restart.
package struct BrokerLoadJob: Codable, Sendable, Hashable {
    package var id: Int64
    package var database: String
    package var label: String
    package var descriptions: [FileDataDescription]
    /// `WITH BROKER (...)`: the storage properties (`aws.s3.*`). Never shown.
    package var storageProperties: [String: String]
    package var properties: FileLoadProperties
    /// The user who submitted it.
    package var user: String
    package var state: BrokerLoadState = .pending
    package var failure: BrokerLoadFailure?
    /// Seconds since the epoch.
    package var createTime: Int64
    package var etlStartTime: Int64?
    package var etlFinishTime: Int64?
    package var loadStartTime: Int64?
    package var loadFinishTime: Int64?
    package var transactionID: Int64?
    package var counters = BrokerLoadCounters()
    package var fileNumber = 0
    package var fileSize = 0
    /// Name of the error log under `errors/` when rows were rejected.
    package var errorLogName: String?
    package var rejectedRecordPath: String?

    package init(
        id: Int64, database: String, label: String, descriptions: [FileDataDescription],
        storageProperties: [String: String], properties: FileLoadProperties, user: String, createTime: Int64
    ) {
        self.id = id
        self.database = database
        self.label = label
        self.descriptions = descriptions
        self.storageProperties = storageProperties
        self.properties = properties
        self.user = user
        self.createTime = createTime
    }

    /// The target table (of the first clause).
    package var table: String { descriptions.first?.table ?? "" }

    /// SHOW LOAD's Progress: `ETL:N/A; LOAD:N/A` before loading, `LOAD` at most 99% until the
    /// data is visible, `ETL:100%; LOAD:100%` when finished.
    package var progressText: String {
        switch state {
        case .finished: return "ETL:100%; LOAD:100%"
        case .pending, .queueing: return "ETL:N/A; LOAD:N/A"
        case .loading, .cancelled:
            guard loadStartTime != nil else { return "ETL:N/A; LOAD:N/A" }
            let share = fileSize > 0 ? min(99, counters.scanBytes * 100 / fileSize) : 0
            return "ETL:100%; LOAD:\(share)%"
        }
    }

    /// The payload of its journal record.
    package func encoded() -> [UInt8] { Array((try? JSONEncoder().encode(self)) ?? Data()) }

    package static func decode(_ payload: [UInt8]) -> BrokerLoadJob? {
        try? JSONDecoder().decode(BrokerLoadJob.self, from: Data(payload))
    }
}
