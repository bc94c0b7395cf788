/// Reads CTL as written in soma.toml: `AG(executed -> !EF cancelled)`, `A[p U q]`, `E[p U q]`.
/// Precedence, low to high: `->` (right-associative), `||`, `&&`, then the prefix operators `!`, `AX EX AF EF AG EG`.
public struct CTLParser {
    public struct Failure: Error, Equatable, Sendable {
        /// 0-based character offset into the formula.
        public var offset: Int
        public var message: String
    }

    enum Token: Equatable {
        case word(String)
        case not, and, or, implies, leftParen, rightParen, leftBracket, rightBracket, end
    }

    var tokens: [(token: Token, offset: Int)] = []
    var position = 0
    var depth = 0

    public static func parse(_ text: String) -> Result<CTLFormula, Failure> {
        var parser = CTLParser()
        do {
            parser.tokens = try tokenize(text)
            let formula = try parser.parseImplies()
            guard parser.current == .end else {
                throw Failure(offset: parser.offset, message: "unexpected \(parser.describe(parser.current)) after the formula")
            }
            return .success(formula)
        } catch let failure as Failure {
            return .failure(failure)
        } catch {
            return .failure(Failure(offset: 0, message: "\(error)"))
        }
    }

    static func tokenize(_ text: String) throws -> [(token: Token, offset: Int)] {
        var result: [(Token, Int)] = []
        let scalars = Array(text.unicodeScalars)
        var index = 0
        while index < scalars.count {
            let scalar = scalars[index]
            let start = index
            switch scalar {
            case " ", "\t", "\n", "\r": index += 1
            case "(": result.append((.leftParen, start)); index += 1
            case ")": result.append((.rightParen, start)); index += 1
            case "[": result.append((.leftBracket, start)); index += 1
            case "]": result.append((.rightBracket, start)); index += 1
            case "!", "¬": result.append((.not, start)); index += 1
            case "&" where index + 1 < scalars.count && scalars[index + 1] == "&": result.append((.and, start)); index += 2
            case "|" where index + 1 < scalars.count && scalars[index + 1] == "|": result.append((.or, start)); index += 2
            case "-" where index + 1 < scalars.count && scalars[index + 1] == ">": result.append((.implies, start)); index += 2
            case "→": result.append((.implies, start)); index += 1
            default:
                guard scalar.properties.isAlphabetic || scalar == "_" else {
                    throw Failure(offset: start, message: "unexpected character '\(scalar)'")
                }
                while index < scalars.count && (scalars[index].properties.isAlphabetic || scalars[index] == "_" || ("0"..."9").contains(scalars[index])) {
                    index += 1
                }
                result.append((.word(String(String.UnicodeScalarView(scalars[start..<index]))), start))
            }
        }
        result.append((.end, scalars.count))
        return result
    }

    var current: Token { tokens[position].token }
    var offset: Int { tokens[position].offset }

    mutating func advance() { if position < tokens.count - 1 { position += 1 } }

    func describe(_ token: Token) -> String {
        switch token {
        case .word(let word): return "'\(word)'"
        case .not: return "'!'"
        case .and: return "'&&'"
        case .or: return "'||'"
        case .implies: return "'->'"
        case .leftParen: return "'('"
        case .rightParen: return "')'"
        case .leftBracket: return "'['"
        case .rightBracket: return "']'"
        case .end: return "end of formula"
        }
    }

    mutating func expect(_ token: Token) throws {
        guard current == token else {
            throw Failure(offset: offset, message: "expected \(describe(token)), found \(describe(current))")
        }
        advance()
    }

    mutating func parseImplies() throws -> CTLFormula {
        depth += 1
        defer { depth -= 1 }
        guard depth < 200 else { throw Failure(offset: offset, message: "formula nested too deeply") }
        let left = try parseOr()
        if current == .implies {
            advance()
            return .implies(left, try parseImplies())
        }
        return left
    }

    mutating func parseOr() throws -> CTLFormula {
        var left = try parseAnd()
        while current == .or {
            advance()
            left = .or(left, try parseAnd())
        }
        return left
    }

    mutating func parseAnd() throws -> CTLFormula {
        var left = try parseUnary()
        while current == .and {
            advance()
            left = .and(left, try parseUnary())
        }
        return left
    }

    static let prefixOperators: [String: @Sendable (CTLFormula) -> CTLFormula] = [
        "AX": { .allNext($0) }, "EX": { .existsNext($0) }, "AF": { .allFinally($0) },
        "EF": { .existsFinally($0) }, "AG": { .allGlobally($0) }, "EG": { .existsGlobally($0) },
    ]

    mutating func parseUnary() throws -> CTLFormula {
        depth += 1
        defer { depth -= 1 }
        guard depth < 200 else { throw Failure(offset: offset, message: "formula nested too deeply") }
        switch current {
        case .not:
            advance()
            return .not(try parseUnary())
        case .leftParen:
            advance()
            let inner = try parseImplies()
            try expect(.rightParen)
            return inner
        case .word(let word):
            if let make = Self.prefixOperators[word] {
                advance()
                return make(try parseUnary())
            }
            if (word == "A" || word == "E"), tokens[position + 1].token == .leftBracket {
                advance()
                advance()
                let left = try parseImplies()
                guard current == .word("U") else {
                    throw Failure(offset: offset, message: "expected 'U' in \(word)[p U q], found \(describe(current))")
                }
                advance()
                let right = try parseImplies()
                try expect(.rightBracket)
                return word == "A" ? .allUntil(left, right) : .existsUntil(left, right)
            }
            advance()
            if word == "true" { return .constant(true) }
            if word == "false" { return .constant(false) }
            return .atom(word)
        default:
            throw Failure(offset: offset, message: "expected a state name, 'true', 'false', '(' or a CTL operator, found \(describe(current))")
        }
    }
}
