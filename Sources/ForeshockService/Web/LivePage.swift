import ForeshockConfig
import ForeshockCore
import ForeshockSupport
import ForeshockTransport
import Foundation

/// The live page (`GET /`) and a post's page (`GET /posts/{source}/{id}`): one self-contained
/// document each, for the person on call. Everything a post brings is escaped; the only script
/// is the page's own, allowed by its hash in the Content-Security-Policy (so a post's text
/// that got through as markup still could not run one), and it changes the page with DOM
/// calls and `textContent`, never by parsing text as HTML. Without it the page shows the
/// state as of its load.
extension WebServer {
    /// The page's script: every 5 s it reads `/api/v1/status` and redraws the sources, the
    /// alerts and the hottest posts; a silence button asks for the token once (kept for the
    /// tab in sessionStorage, never a cookie) and posts the silence with it.
    static let script = """
    (() => {
      const $ = (id) => document.getElementById(id);
      const el = (tag, text, cls) => { const e = document.createElement(tag); if (text !== undefined && text !== null) e.textContent = String(text); if (cls) e.className = cls; return e; };
      const path = (s) => (s === '.' || s === '..') ? s.split('.').join('%2E') : encodeURIComponent(s).replace(/%3A/g, ':').replace(/%40/g, '@');
      const row = (cells) => { const tr = document.createElement('tr'); for (const c of cells) tr.appendChild(c instanceof Node ? c : el('td', c)); return tr; };
      const td = (node) => { const cell = document.createElement('td'); cell.appendChild(node); return cell; };
      function link(source, id, text) { const a = el('a', text); a.href = '/posts/' + path(source) + '/' + path(id); return a; }
      // A source that is up shows a failure of the last hour (its counts, a later page) beside its ok.
      const problem = (x, now) => x.last_problem && Date.parse(now) - Date.parse(x.last_problem_at) <= \(Int(WatchStatus.problemShownFor * 1000)) ? 'ok; failed at ' + x.last_problem_at + ': ' + x.last_problem : null;
      function draw(s) {
        $('updated').textContent = s.written_at;
        $('sources').replaceChildren(...s.sources.map((x) => row([x.name, x.kind, x.last_poll || 'not yet',
          x.down_since ? 'DOWN since ' + x.down_since + ': ' + (x.last_error || '') : (x.last_error || problem(x, s.written_at) || 'ok'), x.polls, x.mentions])));
        const alerts = s.alerts.map((a) => {
          const post = a.post ? td(link(a.source, a.post, (a.author || a.key) + ': ' + (a.text || ''))) : el('td', a.key);
          post.className = 'said';
          const actions = document.createElement('td');
          if (document.body.dataset.token === 'yes' && a.silence_matchers) {
            const b = el('button', 'Silence 2h');
            b.dataset.silence = JSON.stringify(a.silence_matchers);
            actions.appendChild(b);
          }
          return row([el('td', a.severity, a.severity), a.rule, post, a.why || '', a.since, a.notifications || (a.silenced_by ? 'held by ' + a.silenced_by : 'sent'), actions]);
        });
        $('alerts').replaceChildren(...(alerts.length ? alerts : [row(['Nothing is firing.'])]));
        $('hottest').replaceChildren(...s.hottest.map((p) => {
          const card = el('div', null, 'post');
          const head = el('p');
          head.appendChild(link(p.source, p.id, (p.author || '?') + ' · ' + p.reshares + ' reshares · predicted ' + (p.supercritical ? 'unbounded' : (p.predicted == null ? '-' : Math.round(p.predicted).toLocaleString('en-US')))));
          card.appendChild(head);
          const text = el('p', p.text || '', 'text');
          text.dir = 'auto';
          card.appendChild(text);
          const img = document.createElement('img');
          img.alt = 'reshares and prediction over time';
          img.src = '/posts/' + path(p.source) + '/' + path(p.id) + '/curve.svg?t=' + Date.now();
          card.appendChild(img);
          return card;
        }));
      }
      async function refresh() {
        try { const r = await fetch('/api/v1/status', { cache: 'no-store' }); if (r.ok) draw(await r.json()); } catch (e) { /* the next one */ }
      }
      document.addEventListener('click', async (event) => {
        const button = event.target.closest('button[data-silence]');
        if (!button) return;
        let token = sessionStorage.getItem('foreshock-token');
        if (!token) { token = prompt('The watch\\'s web.token, to change it:'); if (!token) return; sessionStorage.setItem('foreshock-token', token); }
        button.disabled = true;
        try {
          const response = await fetch('/api/v1/silences', { method: 'POST', headers: { 'Authorization': 'Bearer ' + token, 'Content-Type': 'application/json' },
            body: JSON.stringify({ matchers: JSON.parse(button.dataset.silence), for: '2h', comment: 'from the live page' }) });
          if (response.status === 401) sessionStorage.removeItem('foreshock-token');
          let reason = '';
          if (!response.ok) { try { reason = ': ' + (await response.json()).error; } catch (e) { /* no JSON */ } }
          button.textContent = response.ok ? 'Silenced' : 'Refused (' + response.status + reason + ')';
          button.disabled = response.ok;
        } catch (e) {
          button.textContent = 'Not sent: the watch did not answer';
          button.disabled = false;
        }
        refresh();
      });
      setInterval(refresh, 5000);
    })();
    """

    /// The script's hash, as the Content-Security-Policy names it.
    static let scriptHash = "sha256-" + Data(Digest.sha256(Array(script.utf8))).base64EncodedString()

    static let pagePolicy = "default-src 'none'; script-src '\(scriptHash)'; connect-src 'self'; img-src 'self' data:; style-src 'unsafe-inline'; "
        + "base-uri 'none'; form-action 'none'; frame-ancestors 'none'"
    /// A post's page has no script at all.
    static let staticPolicy = "default-src 'none'; img-src 'self' data:; style-src 'unsafe-inline'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'"

    func page() -> HTTPServer.Response {
        guard let snapshot = state.snapshot else { return Self.text(503, "starting: the state is being restored; this page is here within seconds") }
        let status = snapshot.status
        let canChange = settings.withLock { $0.token != nil }
        let watching: String = NumberText.count(status.sources.count, "source")
        let readOnly: String = canChange ? "" : " · read-only (no web.token)"
        var html: String = head(title: "Foreshock", refresh: nil) + "<body data-token=\"\(canChange ? "yes" : "no")\"><main>"
        html += "<h1>Foreshock</h1><p class=\"meta\">Watching \(watching) · as of <span id=\"updated\">\(esc(status.writtenAt))</span>"
        html += " · <a href=\"/metrics\">metrics</a> · <a href=\"/api/v1/status\">status JSON</a>" + readOnly + "</p>"
        html += "<h2>Sources</h2><table><thead><tr><th>Source</th><th>Kind</th><th>Last poll</th><th>Health</th><th>Polls</th><th>Mentions</th></tr></thead><tbody id=\"sources\">"
        for source in status.sources {
            let problem = Timestamp.parse(status.writtenAt).flatMap(source.recentProblem).map { _ in "ok; failed at \(source.lastProblemAt ?? ""): \(source.lastProblem ?? "")" }
            let health = source.downSince.map { "DOWN since \($0): \(source.lastError ?? "")" } ?? source.lastError ?? problem ?? "ok"
            html += "<tr><td>\(esc(source.name))</td><td>\(esc(source.kind))</td><td>\(esc(source.lastPoll ?? "not yet"))</td><td>\(esc(health))</td>"
                + "<td>\(source.polls)</td><td>\(source.mentions)</td></tr>"
        }
        html += "</tbody></table><h2>Firing</h2><table><thead><tr><th>Severity</th><th>Rule</th><th>Post</th><th>Why</th><th>Since</th><th>Notifications</th><th></th></tr></thead><tbody id=\"alerts\">"
        if status.alerts.isEmpty { html += "<tr><td>Nothing is firing.</td></tr>" }
        for alert in status.alerts {
            var post = "<td class=\"said\">\(esc(alert.key))</td>"
            if let source = alert.source, let id = alert.post {
                post = "<td class=\"said\"><a href=\"\(esc(WebPath.post(source: source, id: id)))\">\(esc((alert.author ?? alert.key) + ": " + (alert.text ?? "")))</a></td>"
            }
            let button = canChange ? alert.silenceMatchers.map { "<button data-silence=\"\(esc("[" + $0.map(JSONText.quote).joined(separator: ",") + "]"))\">Silence 2h</button>" } ?? "" : ""
            html += "<tr><td class=\"\(esc(alert.severity))\">\(esc(alert.severity))</td><td>\(esc(alert.rule))</td>\(post)<td>\(esc(alert.why ?? ""))</td>"
                + "<td>\(esc(alert.since))</td><td>\(esc(alert.notifications ?? alert.silencedBy.map { "held by " + $0 } ?? "sent"))</td><td>\(button)</td></tr>"
        }
        html += "</tbody></table><h2>Hottest posts</h2><div id=\"hottest\">"
        for post in status.hottest {
            let key = PostKey(source: post.source, id: post.id)
            let predicted = post.supercritical ? "unbounded" : post.predicted.map { NumberText.grouped($0) } ?? "-"
            html += "<div class=\"post\"><p><a href=\"\(esc(WebPath.post(source: key.source, id: key.id)))\">\(esc((post.author ?? "?") + " · \(post.reshares) reshares · predicted " + predicted))</a></p>"
                + "<p class=\"text\" dir=\"auto\">\(esc(post.text ?? ""))</p>"
                + "<img alt=\"reshares and prediction over time\" src=\"\(esc(WebPath.post(source: key.source, id: key.id)))/curve.svg\"></div>"
        }
        html += "</div></main><script>\(Self.script)</script></body></html>\n"
        return Self.html(html, csp: Self.pagePolicy)
    }

    func postPage(_ key: PostKey) -> HTTPServer.Response {
        guard let followed = state.followed(key) else {
            state.ask(key)
            return HTTPServer.Response(status: 404, contentType: "text/html; charset=utf-8",
                                       body: Data((head(title: "Not followed", refresh: 5) + "<body><main><h1>\(esc(key.description))</h1><p>Not followed yet: the page "
                                                   + "follows the posts that fire or are among the hottest. If the watch tracks this one, it is here in a few "
                                                   + "seconds (this page reloads). <a href=\"/\">Back</a></p></main></body></html>\n").utf8),
                                       headers: [("Content-Security-Policy", Self.staticPolicy)])
        }
        let post = followed.post
        let alerts = alerts(of: key)
        var html = head(title: "\(post.author ?? key.description) · Foreshock", refresh: 30) + "<body><main><p><a href=\"/\">← all</a></p>"
        html += "<h1><bdi>\(esc(post.author ?? "unknown author"))</bdi></h1><p class=\"text\" dir=\"auto\"><bdi>\(esc(post.text ?? ""))</bdi></p>"
        if let url = WebLink.safe(post.url) { html += "<p><a href=\"\(esc(url))\" rel=\"noopener noreferrer\">Open the post</a> · \(esc(key.description))</p>" }
        html += "<p>\(post.reshares) reshares · \(post.velocityPerMin) a minute · reach \(NumberText.grouped(post.reach))"
            + ((post.reachAssumed ?? 0) > 0 ? " (\(NumberText.count(post.reachAssumed ?? 0, "reshare")) at an assumed audience)" : "") + " · predicted "
            + "\(post.supercritical ? "unbounded" : post.predicted.map { NumberText.grouped($0) } ?? "-") · \(post.answered ? "answered" : "not answered") · \(esc(post.mode))</p>"
        html += chart(key, followed, alerts: alerts).render()
        html += "<h2>Alerts</h2><ul>" + (alerts.isEmpty ? "<li>None firing now.</li>" : alerts.map { alert -> String in
            let told: String? = alert.notifications ?? alert.silencedBy.map { "held by " + $0 }
            return "<li class=\"\(esc(alert.severity))\">\(esc(alert.severity)) \(esc(alert.rule)) since \(esc(alert.since)): \(esc(alert.why ?? ""))"
                + (told.map { " (\(esc($0)))" } ?? "") + "</li>"
        }.joined()) + "</ul>"
        if let counters = post.counters, !counters.isEmpty {
            html += "<h2>Counters</h2><table><thead><tr><th>Time</th><th>Reshares</th><th>Replies</th><th>Likes</th><th>Quotes</th></tr></thead><tbody>"
            for c in counters {
                html += "<tr><td>\(esc(c.time))</td><td>\(c.reshares.map(String.init) ?? "-")</td><td>\(c.replies.map(String.init) ?? "-")</td>"
                    + "<td>\(c.likes.map(String.init) ?? "-")</td><td>\(c.quotes.map(String.init) ?? "-")</td></tr>"
            }
            html += "</tbody></table>"
        }
        return Self.html(html + "</main></body></html>\n", csp: Self.staticPolicy)
    }

    func curve(_ key: PostKey) -> HTTPServer.Response {
        guard let followed = state.followed(key) else {
            state.ask(key)
            return Self.text(404, "not followed yet")
        }
        return HTTPServer.Response(status: 200, contentType: "image/svg+xml", body: Data(chart(key, followed, alerts: alerts(of: key)).standalone().utf8))
    }

    /// The alerts firing on a post, as of the last look.
    private func alerts(of key: PostKey) -> [WatchStatus.Alert] {
        state.snapshot?.status.alerts.filter { $0.key == key.description } ?? []
    }

    private func chart(_ key: PostKey, _ followed: WebState.Followed, alerts: [WatchStatus.Alert]) -> SVGChart {
        let markers = alerts.compactMap { alert in
            Timestamp.parse(alert.since).map { SVGChart.Marker(time: $0.timeIntervalSince1970, kind: "fired", label: "\(alert.rule) since \(alert.since)") }
        }
        return SVGChart(points: followed.points, createdAt: followed.createdAt, target: 1000, markers: markers,
                        end: max(followed.points.last?.time ?? followed.createdAt, Date().timeIntervalSince1970))
    }

    private func head(title: String, refresh: Int?) -> String {
        "<!DOCTYPE html><html lang=\"en\"><head><meta charset=\"utf-8\"><meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">"
            + (refresh.map { "<meta http-equiv=\"refresh\" content=\"\($0)\">" } ?? "")
            + "<title>\(esc(title))</title><style>\(Self.style)</style></head>"
    }

    private func esc(_ text: String) -> String { HTMLText.escape(SafeText.clean(text, keepLineBreaks: false)) }

    static let style = """
    body{font-family:system-ui,-apple-system,"Segoe UI",sans-serif;margin:20px auto;max-width:1100px;padding:0 16px;color:#1d2330;line-height:1.4}
    h1{font-size:1.4em;margin:0 0 4px 0}h2{font-size:1.1em;margin-top:24px;border-bottom:2px solid #dde}.meta{color:#555}
    table{border-collapse:collapse;width:100%;font-size:.9em;display:block;overflow-x:auto}th,td{border-bottom:1px solid #e4e6ee;padding:4px 8px;text-align:left;vertical-align:top}td.said{overflow-wrap:anywhere;min-width:12em}
    th{background:#f3f4f8}.critical{color:#b3261e;font-weight:600}.warning{color:#9a6700}
    .post{border:1px solid #e4e6ee;border-radius:6px;padding:8px 12px;margin:10px 0}.post img{width:100%;max-width:720px}
    .text{overflow-wrap:anywhere;max-height:6em;overflow:hidden;color:#333}svg.chart{width:100%;max-width:720px;height:auto}
    button{font:inherit;padding:2px 8px}
    """ + SVGChart.style
}
