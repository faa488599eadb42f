import ForeshockSupport

/// A post's replies as an API nests them (each reply holding its own), flattened for the
/// brand's answer to be looked for anywhere below the post.
enum ThreadWalk {
    /// How many levels of replies a thread read asks for and reads: a brand answering a
    /// customer's follow-up is two or three down; a bound keeps a hostile answer's nesting from
    /// running the stack out.
    static let depth = 10

    /// Every node below `root`, depth first, read by `read` (nil: not a post, skipped, but its
    /// replies still read).
    static func flatten(_ root: JSONValue, children: (JSONValue) -> [JSONValue], read: (JSONValue) -> Mention?) -> [Mention] {
        var out: [Mention] = []
        var stack: [(JSONValue, Int)] = children(root).reversed().map { ($0, 1) }
        while let (node, level) = stack.popLast() {
            if let mention = read(node) { out.append(mention) }
            if level < depth { stack += children(node).reversed().map { ($0, level + 1) } }
        }
        return out
    }
}
