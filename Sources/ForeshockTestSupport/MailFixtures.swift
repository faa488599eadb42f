import Foundation
import ForeshockSupport

/// Mail as the SMTP tests' server wrote it, read back by Python's own parser.
package enum MailFixtures {
    /// Headers and parts of a received message as Python's `email` package reads them.
    /// Off Swift concurrency's pool: it waits for a Python process.
    package static func parsed(_ path: String) async throws -> JSONValue {
        try await offCooperativePool { try parsedNow(path) }
    }

    package static func parsedNow(_ path: String) throws -> JSONValue {
        let script = """
        import email, json, sys
        from email import policy
        m = email.message_from_binary_file(open(sys.argv[1], 'rb'), policy=policy.default)
        parts = [(p.get_content_type(), p.get_content()) for p in m.walk() if not p.is_multipart()]
        print(json.dumps({'subject': str(m['Subject']), 'message_id': m['Message-ID'], 'in_reply_to': m['In-Reply-To'],
                          'references': m['References'], 'type': m.get_content_type(), 'date': m['Date'], 'to': m['To'],
                          'headers': list(m.keys()), 'alerts': m.get_all('X-Foreshock-Alert'), 'parts': parts}))
        """
        return try JSONValue.parse(Data(runProgramNow("/usr/bin/python3", ["-c", script, path]).out.utf8))
    }
}
