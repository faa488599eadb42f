import Testing
@testable import ForeshockCore
@testable import ForeshockTestSupport

@Suite("A post's polled counters over time")
struct CounterSeriesTests {
    @Test("A sample when a counter changes; when full, the start and the recent half stay and the time between thins")
    func compact() {
        var series = CounterSeries()
        series.record(.init(time: 0, reshares: 0, replies: 0, likes: 1, quotes: nil))
        series.record(.init(time: 60, reshares: 0, replies: 0, likes: 1, quotes: nil))
        #expect(series.samples.count == 1, "nothing changed")
        for minute in 1...40 { series.record(.init(time: Double(minute * 60), reshares: minute * 3, replies: minute, likes: minute * 10, quotes: nil)) }
        #expect(series.samples.count <= CounterSeries.capacity)
        #expect(series.samples.first?.time == 0)
        #expect(series.samples.last == .init(time: 2400, reshares: 120, replies: 40, likes: 400, quotes: nil))
        let times = series.samples.map(\.time)
        #expect(times == times.sorted())
        // The recent ones are a minute apart; the older ones, further.
        #expect(Array(times.suffix(6)) == [35, 36, 37, 38, 39, 40].map { Double($0 * 60) })
        #expect(times[2] - times[1] > 60)
    }

    @Test("Counts observations build the series the features carry")
    func throughTheEngine() throws {
        let engine = ScoringEngine(config: scoringConfig([]), shards: 2)
        let key = PostKey(source: "x", id: "1")
        _ = engine.ingest([.post(key: key, time: 0, createdAt: 0, author: "a", followers: 10, text: "hi", url: nil),
                           .counts(key: key, time: 60, reshares: 5, replies: 1, likes: 9, quotes: nil),
                           .counts(key: key, time: 120, reshares: nil, replies: 4, likes: nil, quotes: 2)])
        let series = try #require(engine.features(key, at: 120)).counters.samples
        #expect(series == [.init(time: 60, reshares: 5, replies: 1, likes: 9, quotes: nil),
                           .init(time: 120, reshares: 5, replies: 4, likes: 9, quotes: 2)])
    }
}
