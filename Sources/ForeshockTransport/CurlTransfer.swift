import CCurl
import ForeshockSupport
import Foundation

/// What a finished libcurl transfer produced.
struct CurlOutcome: Sendable {
    var replyCode: Int
    var headers: HTTPHeaders
    var body: Data
    var effectiveURL: String
}

/// One libcurl easy handle with the buffers its callbacks write into.
///
/// This file and `CurlEngine.swift` are the only places that touch libcurl or unsafe pointers.
///
/// `@unchecked Sendable`: a transfer is configured on the submitting thread, then handed to the
/// engine and from then on read and written only by the engine's loop thread (callbacks run
/// inside `curl_multi_perform` on that thread); `complete` is called once, by that thread.
final class CurlTransfer: @unchecked Sendable {
    let handle: UnsafeMutableRawPointer
    private let errorBuffer: UnsafeMutablePointer<CChar>
    private var lists: [UnsafeMutablePointer<curl_slist>] = []
    private var body = Data()
    private var headerFields: [(name: String, value: String)] = []
    /// The last refusal of a line protocol (SMTP's `451 4.3.0 try again later`), whose reply
    /// lines libcurl hands to the header callback too: an error names what the server said,
    /// not only its code.
    private var lastReplyLine: String?
    private var maxBodyBytes = Int.max
    private var exceededLimit = false
    private var upload = Data()
    private var uploadOffset = 0
    private var completion: ((Result<CurlOutcome, TransportError>) -> Void)?
    private var streamTo: (@Sendable (Data) -> Bool)?
    /// The stream's reader refused a chunk (it fell behind): the transfer ends.
    private var refusedChunk = false
    private var finished = false
    /// A cancel reached the engine before the transfer did (read and written on its loop thread).
    var cancelRequested = false

    /// - Throws: `TransportError` when libcurl cannot create a handle.
    init() throws {
        CurlGlobal.ensureInitialized()
        guard let handle = curl_easy_init() else {
            throw TransportError(code: .other, message: "curl_easy_init failed")
        }
        self.handle = handle
        errorBuffer = .allocate(capacity: Int(CURL_ERROR_SIZE))
        errorBuffer.initialize(repeating: 0, count: Int(CURL_ERROR_SIZE))
        let me = Unmanaged.passUnretained(self).toOpaque()
        // Callbacks get `self` back through their userdata; the engine keeps `self` alive
        // while the handle is in the multi handle.
        set(CURLOPT_ERRORBUFFER, pointer: errorBuffer)
        set(CURLOPT_NOSIGNAL, 1)
        set(CURLOPT_WRITEFUNCTION, callback: curlWriteCallback)
        set(CURLOPT_WRITEDATA, pointer: me)
        set(CURLOPT_HEADERFUNCTION, callback: curlHeaderCallback)
        set(CURLOPT_HEADERDATA, pointer: me)
    }

    deinit {
        curl_easy_cleanup(handle)
        for list in lists { curl_slist_free_all(list) }
        errorBuffer.deallocate()
    }

    // MARK: Options

    func set(_ option: CURLoption, _ value: Int) {
        _ = ccurl_easy_setopt_long(handle, option, value)
    }

    func set(_ option: CURLoption, _ value: String) {
        _ = value.withCString { ccurl_easy_setopt_string(handle, option, $0) }
    }

    private func set(_ option: CURLoption, pointer: UnsafeMutableRawPointer?) {
        _ = ccurl_easy_setopt_pointer(handle, option, pointer)
    }

    private func set(_ option: CURLoption, pointer: UnsafeMutablePointer<CChar>) {
        _ = ccurl_easy_setopt_pointer(handle, option, UnsafeMutableRawPointer(pointer))
    }

    private func set(_ option: CURLoption, callback: ccurl_data_callback) {
        _ = ccurl_easy_setopt_data_callback(handle, option, callback)
    }

    /// Sets a string-list option (`HTTPHEADER`, `MAIL_RCPT`); the list lives as long as the handle.
    func set(_ option: CURLoption, list: [String]) {
        var head: UnsafeMutablePointer<curl_slist>?
        for item in list { head = curl_slist_append(head, item) }
        guard let head else { return }
        lists.append(head)
        _ = ccurl_easy_setopt_slist(handle, option, head)
    }

    /// A body sent with the request; libcurl copies it.
    func setPostFields(_ data: Data) {
        _ = ccurl_easy_setopt_off_t(handle, CURLOPT_POSTFIELDSIZE_LARGE, curl_off_t(data.count))
        data.withUnsafeBytes { raw in
            _ = ccurl_easy_setopt_pointer(handle, CURLOPT_COPYPOSTFIELDS, UnsafeMutableRawPointer(mutating: raw.baseAddress ?? UnsafeRawPointer(bitPattern: 1)!))
        }
    }

    /// A body read by libcurl's read callback (SMTP's DATA).
    func setUpload(_ data: Data) {
        upload = data
        uploadOffset = 0
        set(CURLOPT_UPLOAD, 1)
        _ = ccurl_easy_setopt_off_t(handle, CURLOPT_INFILESIZE_LARGE, curl_off_t(data.count))
        set(CURLOPT_READFUNCTION, callback: curlReadCallback)
        set(CURLOPT_READDATA, pointer: Unmanaged.passUnretained(self).toOpaque())
    }

    func limitBody(to bytes: Int) {
        maxBodyBytes = bytes
    }

    /// Hands a successful response's body to `chunk` as it arrives instead of keeping it, with
    /// no size cap: for long-lived streams. An error response's body is still kept (capped).
    func stream(_ chunk: @escaping @Sendable (Data) -> Bool) {
        streamTo = chunk
    }

    func onComplete(_ completion: @escaping (Result<CurlOutcome, TransportError>) -> Void) {
        self.completion = completion
    }

    // MARK: Callbacks (engine thread)

    fileprivate func receive(_ buffer: UnsafeMutablePointer<CChar>, _ count: Int) -> Int {
        if let streamTo {
            var reply = 0
            _ = ccurl_easy_getinfo_long(handle, CURLINFO_RESPONSE_CODE, &reply)
            if (200..<300).contains(reply) {
                guard streamTo(buffer.withMemoryRebound(to: UInt8.self, capacity: count) { Data(bytes: $0, count: count) }) else {
                    refusedChunk = true
                    return 0
                }
                return count
            }
        }
        if body.count + count > maxBodyBytes {
            exceededLimit = true
            return 0  // anything but `count` makes libcurl abort with CURLE_WRITE_ERROR
        }
        buffer.withMemoryRebound(to: UInt8.self, capacity: count) { body.append($0, count: count) }
        return count
    }

    fileprivate func receiveHeader(_ buffer: UnsafeMutablePointer<CChar>, _ count: Int) -> Int {
        let line = buffer.withMemoryRebound(to: UInt8.self, capacity: count) {
            String(decoding: UnsafeBufferPointer(start: $0, count: count), as: UTF8.self)
        }
        // Refusals only (4xx, 5xx): the `221 Bye` that follows one must not take its place.
        if line.utf8.count >= 3, line.utf8.prefix(3).allSatisfy({ (0x30...0x39).contains($0) }), line.hasPrefix("4") || line.hasPrefix("5") {
            lastReplyLine = SafeText.cut(SafeText.clean(line, keepLineBreaks: false).trimmingCharacters(in: .whitespaces), 200)
        }
        if line.hasPrefix("HTTP/") {
            // A new status line: a redirect or a 100 Continue; keep only the final response's.
            headerFields.removeAll()
        } else if let colon = line.firstIndex(of: ":") {
            let name = line[..<colon].trimmingCharacters(in: .whitespaces)
            let value = line[line.index(after: colon)...].trimmingCharacters(in: .whitespacesAndNewlines)
            headerFields.append((name, value))
        }
        return count
    }

    fileprivate func supplyUpload(_ buffer: UnsafeMutablePointer<CChar>, _ capacity: Int) -> Int {
        let count = min(capacity, upload.count - uploadOffset)
        guard count > 0 else { return 0 }
        upload.withUnsafeBytes { raw in
            UnsafeMutableRawPointer(buffer).copyMemory(from: raw.baseAddress! + uploadOffset, byteCount: count)
        }
        uploadOffset += count
        return count
    }

    // MARK: Completion (engine thread)

    /// Reports the outcome once; later calls are ignored.
    func complete(_ result: CURLcode) {
        guard !finished else { return }
        finished = true
        var reply = 0
        _ = ccurl_easy_getinfo_long(handle, CURLINFO_RESPONSE_CODE, &reply)
        guard result == CURLE_OK else {
            completion?(.failure(error(for: result, reply: reply)))
            completion = nil
            return
        }
        var urlPointer: UnsafeMutableRawPointer?
        _ = ccurl_easy_getinfo_pointer(handle, CURLINFO_EFFECTIVE_URL, &urlPointer)
        let effective = urlPointer.map { String(cString: $0.assumingMemoryBound(to: CChar.self)) } ?? ""
        completion?(.success(CurlOutcome(replyCode: reply, headers: HTTPHeaders(headerFields), body: body, effectiveURL: effective)))
        completion = nil
    }

    func fail(_ error: TransportError) {
        guard !finished else { return }
        finished = true
        completion?(.failure(error))
        completion = nil
    }

    private func error(for result: CURLcode, reply: Int) -> TransportError {
        let detail = String(cString: errorBuffer)
        var message = detail.isEmpty ? String(cString: curl_easy_strerror(result)) : detail
        if reply >= 400, let said = lastReplyLine, said.hasPrefix(String(reply)) { message += " (the server said \"\(said)\")" }
        let code: TransportError.Code
        switch result {
        case CURLE_WRITE_ERROR where exceededLimit:
            return TransportError(code: .tooLarge, message: "body exceeds \(maxBodyBytes) bytes", curlCode: Int(result.rawValue))
        case CURLE_WRITE_ERROR where refusedChunk:
            return TransportError(code: .fellBehind, message: "the stream's reader refused a chunk", curlCode: Int(result.rawValue))
        case CURLE_UNSUPPORTED_PROTOCOL: code = .unsupportedProtocol
        case CURLE_URL_MALFORMAT, CURLE_BAD_FUNCTION_ARGUMENT: code = .invalidRequest
        case CURLE_COULDNT_RESOLVE_HOST, CURLE_COULDNT_RESOLVE_PROXY: code = .resolveFailed
        case CURLE_COULDNT_CONNECT: code = .connectFailed
        case CURLE_OPERATION_TIMEDOUT: code = .timedOut
        case CURLE_SSL_CONNECT_ERROR, CURLE_PEER_FAILED_VERIFICATION, CURLE_SSL_CERTPROBLEM,
             CURLE_SSL_CIPHER, CURLE_SSL_CACERT_BADFILE, CURLE_USE_SSL_FAILED,
             CURLE_SSL_ISSUER_ERROR, CURLE_SSL_PINNEDPUBKEYNOTMATCH, CURLE_SSL_ENGINE_NOTFOUND:
            code = .tls
        case CURLE_TOO_MANY_REDIRECTS: code = .tooManyRedirects
        case CURLE_LOGIN_DENIED, CURLE_AUTH_ERROR: code = .authentication
        case CURLE_SEND_ERROR, CURLE_RECV_ERROR, CURLE_GOT_NOTHING, CURLE_PARTIAL_FILE,
             CURLE_WEIRD_SERVER_REPLY, CURLE_QUOTE_ERROR, CURLE_UPLOAD_FAILED:
            // An SMTP server's refusal arrives as a send or reply error with its reply code.
            code = reply >= 400 ? .rejected : .connectionLost
        case CURLE_ABORTED_BY_CALLBACK: code = .cancelled
        default: code = .other
        }
        return TransportError(code: code, message: message, curlCode: Int(result.rawValue), replyCode: reply > 0 ? reply : nil)
    }
}

private func transfer(_ userdata: UnsafeMutableRawPointer?) -> CurlTransfer {
    Unmanaged<CurlTransfer>.fromOpaque(userdata!).takeUnretainedValue()
}

private let curlWriteCallback: ccurl_data_callback = { buffer, size, count, userdata in
    guard let buffer else { return 0 }
    return transfer(userdata).receive(buffer, size * count)
}

private let curlHeaderCallback: ccurl_data_callback = { buffer, size, count, userdata in
    guard let buffer else { return 0 }
    return transfer(userdata).receiveHeader(buffer, size * count)
}

private let curlReadCallback: ccurl_data_callback = { buffer, size, count, userdata in
    guard let buffer else { return 0 }
    return transfer(userdata).supplyUpload(buffer, size * count)
}

/// `curl_global_init` exactly once per process, before the first handle.
package enum CurlGlobal {
    private static let initialized: Bool = ccurl_global_init_all() == CURLE_OK

    static func ensureInitialized() {
        _ = initialized
    }

    /// libcurl's version string, for `foreshock --version`.
    package static var version: String {
        String(cString: curl_version())
    }
}
