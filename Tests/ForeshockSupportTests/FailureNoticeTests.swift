import ForeshockSupport
import Testing

@Suite("Failure notices")
struct FailureNoticeTests {
    @Test("A failing write is said the first time, then once a hundred, and its end once")
    func rate() {
        var notice = FailureNotice()
        let said = (1...250).filter { _ in notice.failed() }
        #expect(said == [1, 100, 200] && notice.failures == 250)
        #expect(notice.succeeded() && !notice.succeeded(), "the end is said once")
        #expect(notice.failed() && notice.failures == 1, "a new run of failures is said again at its first")
    }

    @Test("A count kept elsewhere may jump: said once for the jump, then at the next hundred")
    func jumps() {
        var notice = FailureNotice()
        #expect(!notice.failed(count: 0) && !notice.succeeded(), "nothing failed, nothing to say")
        #expect(notice.failed(count: 350) && !notice.failed(count: 350) && !notice.failed(count: 399))
        #expect(notice.failed(count: 400) && !notice.failed(count: 401))
    }
}
