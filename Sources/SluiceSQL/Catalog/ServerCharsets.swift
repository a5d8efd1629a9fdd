/// The character sets, collations and engines the server reports: SHOW CHARSET / COLLATION /
/// ENGINES and their information_schema tables read the same lists.
enum ServerCharsets {
    struct Charset {
        var name: String
        var description: String
        var defaultCollation: String
        var maxLength: Int64
    }

    struct Collation {
        var name: String
        var charset: String
        var id: Int64
    }

    struct Engine {
        var name: String
        var support: String
        var comment: String
    }

    /// Results are always UTF-8; the others are listed because StarRocks lists them.
    static let charsets = [
        Charset(name: "utf8", description: "UTF-8 Unicode", defaultCollation: "utf8_general_ci", maxLength: 3),
        Charset(name: "binary", description: "Binary pseudo charset", defaultCollation: "binary", maxLength: 1),
        Charset(name: "gbk", description: "GBK Simplified Chinese", defaultCollation: "gbk_chinese_ci", maxLength: 2),
    ]

    static let collations = [
        Collation(name: "utf8_general_ci", charset: "utf8", id: 33),
        Collation(name: "binary", charset: "binary", id: 63),
        Collation(name: "gbk_chinese_ci", charset: "gbk", id: 28),
    ]

    static let engines = [Engine(name: "OLAP", support: "DEFAULT", comment: "Default storage engine of StarRocks")]
}
