import Database
import Testing

@Suite struct SQLStatementSplitterTests {
    @Test func splitsOnSemicolons() {
        #expect(SQLStatementSplitter.split("SELECT 1; SELECT 2;\n") == ["SELECT 1", "SELECT 2"])
    }

    @Test func keepsSemicolonsInsideQuotesCommentsAndDollarBodies() {
        let sql = """
            -- a comment; with a semicolon
            INSERT INTO t VALUES ('a;b', "we;ird");
            /* block; /* nested; */ still */ SELECT 1;
            CREATE FUNCTION f() RETURNS trigger AS $body$ BEGIN RAISE 'x;y'; RETURN NULL; END $body$ LANGUAGE plpgsql;
            SELECT $$;$$;
            """
        let statements = SQLStatementSplitter.split(sql)
        #expect(statements.count == 4)
        #expect(statements[0].hasSuffix("INSERT INTO t VALUES ('a;b', \"we;ird\")"))
        #expect(statements[2].contains("RAISE 'x;y'; RETURN NULL; END $body$ LANGUAGE plpgsql"))
        #expect(statements[3] == "SELECT $$;$$")
    }

    @Test func handlesDoubledQuotesAndTrailingComments() {
        #expect(SQLStatementSplitter.split("SELECT 'it''s; fine';\n-- done\n") == ["SELECT 'it''s; fine'"])
    }

    @Test func positionalParametersAreNotDollarQuotes() {
        #expect(SQLStatementSplitter.split("PREPARE p AS SELECT $1; SELECT 2") == ["PREPARE p AS SELECT $1", "SELECT 2"])
    }
}
