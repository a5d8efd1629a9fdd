import SluiceSQL
import Testing

/// SQL DML on PRIMARY KEY and UNIQUE KEY tables (spec table-models §2.6, scenario 32).
@Suite struct PrimaryKeyDMLTests {
    @Test func updateAndDeleteFollowScenario32() throws {
        let h = try SQLHarness()
        try h.run(TableModelDDLTests.pk1)
        try h.run(
            "CREATE TABLE t1 (id INT NOT NULL, name VARCHAR(64), score INT) DUPLICATE KEY(id) DISTRIBUTED BY HASH(id)")
        try h.run("INSERT INTO pk1 VALUES (1, 'a', 10, 5), (2, 'b', 60, 1)")
        // (a)
        try h.run("UPDATE pk1 SET score = score + 1 WHERE id = 1")
        #expect(try h.run("SELECT * FROM pk1 WHERE id = 1") == [["1", "a", "11", "5"]])
        // (b) 2 of 4 columns without WHERE: row mode needs a WHERE.
        #expect(
            h.failure("UPDATE pk1 SET score = 0, name = 'q'")?.contains(
                "must specify where clause to prevent full table update") == true)
        // (c), (d)
        #expect(
            h.failure("UPDATE pk1 SET id = 5 WHERE id = 1")?.contains("primary key column cannot be updated: id")
                == true)
        #expect(h.failure("UPDATE t1 SET score = 1 WHERE id = 1")?.contains("does not support update") == true)
        #expect(
            h.failure("UPDATE pk1 SET nope = 1 WHERE id = 1")?.contains("table 'pk1' do not existing column 'nope'")
                == true)
        // (e) a non-key predicate.
        try h.run("DELETE FROM pk1 WHERE score > 50")
        #expect(try h.run("SELECT id FROM pk1 ORDER BY id") == [["1"]])
        // (f)
        #expect(
            h.failure("DELETE FROM pk1")?.contains("Delete must specify where clause to prevent full table delete")
                == true)
        #expect(
            h.failure("DELETE FROM pk1 PARTITION (pk1) WHERE id = 1")?.contains(
                "Delete for primary key table do not support specifying partitions") == true)
        // (g) 1 of 4 columns, no WHERE: column mode updates every row.
        try h.run("INSERT INTO pk1 VALUES (3, 'c', 30, 1)")
        try h.run("UPDATE pk1 SET score = 0")
        #expect(try h.run("SELECT * FROM pk1 ORDER BY id") == [["1", "a", "0", "5"], ["3", "c", "0", "1"]])
        // A statement that matches nothing changes nothing.
        try h.run("DELETE FROM pk1 WHERE id = 99")
        #expect(try h.run("SELECT count(*) FROM pk1") == [["2"]])
    }

    @Test func insertWithAColumnListIsAPartialUpdate() throws {
        let h = try SQLHarness()
        try h.run(TableModelDDLTests.pk1)
        try h.run("INSERT INTO pk1 VALUES (1, 'a', 10, 5)")
        try h.run("INSERT INTO pk1 (id, score) VALUES (1, 99), (7, 70)")
        #expect(try h.run("SELECT * FROM pk1 ORDER BY id") == [["1", "a", "99", "5"], ["7", nil, "70", nil]])
        #expect(
            h.failure("INSERT INTO pk1 (name) VALUES ('x')")?.contains(
                "should specify all key columns when insert to primary key table") == true)
    }

    @Test func insertTakesAMergeCondition() throws {
        let h = try SQLHarness()
        try h.run(TableModelDDLTests.pk1)
        try h.run("INSERT INTO pk1 VALUES (1, 'a', 10, 5)")
        try h.run("INSERT INTO pk1 PROPERTIES (\"merge_condition\" = \"version\") VALUES (1, 'old', 1, 4)")
        #expect(try h.run("SELECT * FROM pk1") == [["1", "a", "10", "5"]])
        try h.run("INSERT INTO pk1 PROPERTIES (\"merge_condition\" = \"version\") VALUES (1, 'new', 2, 6)")
        #expect(try h.run("SELECT * FROM pk1") == [["1", "new", "2", "6"]])
        #expect(
            h.failure("INSERT INTO pk1 PROPERTIES (\"merge_condition\" = \"id\") VALUES (1, 'x', 1, 9)")?.contains(
                "Merge condition column id should not be primary key!") == true)
    }

    @Test func uniqueKeyTablesDeleteByKeyPredicates() throws {
        let h = try SQLHarness()
        try h.run(
            "CREATE TABLE uk1 (id INT NOT NULL, name VARCHAR(64)) UNIQUE KEY(id) DISTRIBUTED BY HASH(id) BUCKETS 1")
        try h.run("INSERT INTO uk1 VALUES (1, 'a'), (2, 'b'), (3, 'c')")
        try h.run("DELETE FROM uk1 WHERE id >= 2")
        #expect(try h.run("SELECT * FROM uk1") == [["1", "a"]])
        #expect(h.failure("DELETE FROM uk1 WHERE name = 'a'")?.contains("Column[name] is not key column") == true)
        #expect(h.failure("DELETE FROM uk1")?.contains("Where clause is not set") == true)
    }
}
