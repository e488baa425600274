import Foundation

/// Splits a migration file into statements: PostgreSQL's extended protocol (all that
/// PostgresNIO speaks) takes one statement at a time. Semicolons inside quotes, quoted
/// identifiers, dollar-quoted bodies and comments do not split.
enum SQLStatements {
    static func split(_ sql: String) -> [String] {
        var statements: [String] = []
        var current = ""
        var index = sql.startIndex
        func peek(_ offset: Int) -> Character? {
            guard let position = sql.index(index, offsetBy: offset, limitedBy: sql.endIndex), position < sql.endIndex else {
                return nil
            }
            return sql[position]
        }
        while index < sql.endIndex {
            let character = sql[index]
            if character == "-" && peek(1) == "-" {
                // A line comment: skip to the end of the line.
                while index < sql.endIndex && sql[index] != "\n" { index = sql.index(after: index) }
                continue
            }
            if character == "/" && peek(1) == "*" {
                if let end = sql[index...].range(of: "*/") { index = end.upperBound } else { index = sql.endIndex }
                continue
            }
            if character == "'" || character == "\"" {
                let closing = sql[sql.index(after: index)...].firstIndex(of: character) ?? sql.index(before: sql.endIndex)
                current += sql[index...closing]
                index = sql.index(after: closing)
                continue
            }
            if character == "$", let tagEnd = sql[sql.index(after: index)...].firstIndex(of: "$"),
                sql[sql.index(after: index)..<tagEnd].allSatisfy({ $0.isLetter || $0.isNumber || $0 == "_" })
            {
                let tag = String(sql[index...tagEnd])
                let bodyStart = sql.index(after: tagEnd)
                let end = sql[bodyStart...].range(of: tag)?.upperBound ?? sql.endIndex
                current += sql[index..<end]
                index = end
                continue
            }
            if character == ";" {
                let statement = current.trimmingCharacters(in: .whitespacesAndNewlines)
                if !statement.isEmpty { statements.append(statement) }
                current = ""
            } else {
                current.append(character)
            }
            index = sql.index(after: index)
        }
        let last = current.trimmingCharacters(in: .whitespacesAndNewlines)
        if !last.isEmpty { statements.append(last) }
        return statements
    }
}
