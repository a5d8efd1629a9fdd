import SluiceFiles
import SluiceFormat

/// `information_schema.pipes` and `pipe_files` (spec C.4): pipes and their file versions, rows
/// limited to the tables the session sees.
extension InformationSchema {
    static let pipeTables: [SystemTable] = [pipes, pipeFiles]

    static let pipes = SystemTable(
        "pipes",
        [
            .text("DATABASE_NAME"), .number("PIPE_ID"), .text("PIPE_NAME"), .text("PROPERTIES"), .text("STATE"),
            .text("TABLE_NAME"), .text("LOAD_STATUS"), .text("LAST_ERROR"), .time("CREATED_TIME"),
        ]
    ) { catalog, session in
        guard let manager = catalog.pipes else { return [] }
        return manager.pipes(database: nil).filter { catalog.authorizer.sees(database: $0.database, table: $0.table) }
            .map { pipe in
                let properties =
                    "{"
                    + pipe.properties.given.sorted { $0.key < $1.key }.map {
                        "\(JSONEscaping.quoted($0.key.uppercased())):\(JSONEscaping.quoted($0.value))"
                    }.joined(separator: ",") + "}"
                return [
                    .text(pipe.database), .number(Int(pipe.id)), .text(pipe.name), .text(properties),
                    .text(pipe.state.rawValue), .text("\(pipe.database).\(pipe.table)"),
                    .text(
                        PipeExecution.loadStatus(
                            pipe, loading: manager.loadingCount(pipeID: pipe.id), session: session)),
                    .text(pipe.lastError.map { PipeExecution.lastError($0, session: session) }),
                    InformationSchema.time(pipe.createdTime, session),
                ]
            }
    }

    static let pipeFiles = SystemTable(
        "pipe_files",
        [
            .text("DATABASE_NAME"), .number("PIPE_ID"), .text("PIPE_NAME"), .text("FILE_NAME"), .text("FILE_VERSION"),
            .number("FILE_SIZE"), .time("LAST_MODIFIED"), .text("LOAD_STATE"), .time("STAGED_TIME"),
            .time("START_LOAD_TIME"), .time("FINISH_LOAD_TIME"), .text("ERROR_MSG"),
        ]
    ) { catalog, session in
        guard let manager = catalog.pipes else { return [] }
        var rows = [[Value]]()
        for pipe in manager.pipes(database: nil)
        where catalog.authorizer.sees(database: pipe.database, table: pipe.table) {
            for file in manager.files(pipeID: pipe.id) {
                func time(_ seconds: Int64?) -> Value { seconds.map { InformationSchema.time($0, session) } ?? .null }
                rows.append([
                    .text(pipe.database), .number(Int(pipe.id)), .text(pipe.name), .text(file.path),
                    .text(file.version),
                    .number(Int(file.size)), time(CivilTime.floorDivide(file.lastModifiedMillis, 1000).0),
                    .text(file.state.rawValue), time(file.stagedTime), time(file.startLoadTime),
                    time(file.finishLoadTime),
                    .text(file.errorMessage),
                ])
            }
        }
        return rows
    }
}
