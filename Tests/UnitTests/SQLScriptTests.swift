import Testing

@testable import RxStore

@Suite("Splitting migration files into statements")
struct SQLScriptTests {
    @Test func splitsOnTopLevelSemicolons() {
        #expect(
            SQLScript.statements("CREATE TABLE a (x int); CREATE TABLE b (y int);") == [
                "CREATE TABLE a (x int)", "CREATE TABLE b (y int)",
            ])
    }

    @Test func keepsQuotedSemicolons() {
        let s = SQLScript.statements("INSERT INTO t VALUES ('a;b', 'it''s;'); SELECT \"odd;name\" FROM t")
        #expect(s.count == 2)
        #expect(s[0] == "INSERT INTO t VALUES ('a;b', 'it''s;')")
    }

    @Test func keepsDollarQuotedBodies() {
        let script = """
            CREATE FUNCTION f() RETURNS trigger LANGUAGE plpgsql AS $$
            BEGIN RAISE EXCEPTION 'no; never'; END;
            $$;
            CREATE FUNCTION g() RETURNS int LANGUAGE sql AS $body$ SELECT 1; $body$;
            SELECT $1
            """
        let s = SQLScript.statements(script)
        #expect(s.count == 3)
        #expect(s[0].hasSuffix("$$"))
        #expect(s[1].contains("SELECT 1; $body$"))
    }

    @Test func dropsCommentOnlyStatements() {
        let s = SQLScript.statements("-- a comment; with a semicolon\n/* block; /* nested; */ */\nSELECT 1; -- trailing\n")
        #expect(s.count == 1)
        #expect(s[0].hasSuffix("SELECT 1"))
    }

    @Test func backslashEscapesOnlyInEStrings() {
        #expect(SQLScript.statements("SELECT E'a\\';b'; SELECT 'c\\'; SELECT 2").count == 3)
    }
}
