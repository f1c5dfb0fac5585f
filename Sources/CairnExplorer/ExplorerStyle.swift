/// The explorer's one stylesheet, served by the node at `/explorer/style.css`.
enum ExplorerStyle {
    static let css = """
        :root { --ink: #1d2327; --muted: #6b7378; --line: #e2e6e9; --bg: #f7f8f9; --accent: #2f6f4f; --s1: #2f6f4f; --s2: #c0533a; --s3: #d9a441; --s4: #8a96a0; }
        * { box-sizing: border-box; }
        body { margin: 0; font: 15px/1.45 system-ui, -apple-system, "Segoe UI", sans-serif; color: var(--ink); background: var(--bg); }
        header { display: flex; flex-wrap: wrap; gap: 12px 24px; align-items: center; padding: 12px 24px; background: #fff; border-bottom: 1px solid var(--line); }
        header .brand { font-weight: 700; color: var(--accent); text-decoration: none; font-size: 17px; }
        nav { display: flex; gap: 16px; flex-wrap: wrap; }
        nav a { color: var(--ink); text-decoration: none; }
        nav a:hover { color: var(--accent); }
        header form { margin-left: auto; display: flex; gap: 6px; }
        header input { width: 300px; padding: 6px 10px; border: 1px solid var(--line); border-radius: 6px; font: inherit; }
        header button { padding: 6px 12px; border: 0; border-radius: 6px; background: var(--accent); color: #fff; font: inherit; cursor: pointer; }
        main { max-width: 1200px; margin: 0 auto; padding: 16px 24px 40px; }
        footer { text-align: center; color: var(--muted); font-size: 13px; padding: 16px; }
        h1 { font-size: 24px; margin: 12px 0 16px; overflow-wrap: anywhere; }
        h2 { font-size: 18px; margin: 28px 0 10px; }
        h3 { font-size: 15px; margin: 16px 0 6px; }
        a { color: var(--accent); }
        code, pre { font: 13px/1.4 ui-monospace, "DejaVu Sans Mono", monospace; overflow-wrap: anywhere; }
        pre { background: #fff; border: 1px solid var(--line); border-radius: 6px; padding: 10px; overflow-x: auto; white-space: pre-wrap; }
        .table { overflow-x: auto; background: #fff; border: 1px solid var(--line); border-radius: 8px; }
        table { border-collapse: collapse; width: 100%; }
        th, td { text-align: left; padding: 7px 10px; border-bottom: 1px solid var(--line); vertical-align: top; }
        thead th { font-size: 13px; color: var(--muted); font-weight: 600; background: #fbfcfc; }
        tbody tr:last-child td { border-bottom: 0; }
        .num { text-align: right; white-space: nowrap; }
        table.facts { background: #fff; border: 1px solid var(--line); border-radius: 8px; }
        table.facts th { width: 240px; color: var(--muted); font-weight: 500; }
        .cards { display: grid; grid-template-columns: repeat(auto-fill, minmax(180px, 1fr)); gap: 10px; }
        .card { background: #fff; border: 1px solid var(--line); border-radius: 8px; padding: 10px 12px; }
        .card span { display: block; color: var(--muted); font-size: 13px; }
        .card strong { font-size: 17px; font-weight: 600; }
        .charts { display: grid; grid-template-columns: repeat(auto-fit, minmax(460px, 1fr)); gap: 14px; margin-top: 18px; }
        figure { margin: 0; background: #fff; border: 1px solid var(--line); border-radius: 8px; padding: 10px 12px; }
        figcaption { font-weight: 600; margin-bottom: 6px; }
        svg.chart { width: 100%; height: auto; display: block; }
        svg .grid { stroke: var(--line); stroke-width: 1; }
        svg .zero { stroke: var(--muted); stroke-width: 1; }
        svg .axis { fill: var(--muted); font-size: 11px; }
        svg .line { fill: none; stroke-width: 2; }
        svg rect.s1 { fill: var(--s1); } svg rect.s2 { fill: var(--s2); } svg rect.s3 { fill: var(--s3); }
        svg .line.s1 { stroke: var(--s1); } svg .line.s2 { stroke: var(--s2); } svg .line.s3 { stroke: var(--s3); }
        .legend { font-size: 13px; color: var(--muted); margin-top: 4px; }
        .key { display: inline-block; width: 10px; height: 10px; border-radius: 2px; margin: 0 4px 0 10px; }
        .key.s1 { background: var(--s1); } .key.s2 { background: var(--s2); } .key.s3 { background: var(--s3); }
        .dist { display: grid; grid-template-columns: minmax(120px, 240px) 1fr auto; gap: 10px; align-items: center; margin: 4px 0; font-size: 13px; }
        .dist a, .dist > span:first-child { overflow: hidden; text-overflow: ellipsis; white-space: nowrap; }
        .bar { background: var(--bg); border-radius: 3px; height: 12px; overflow: hidden; }
        .bar span { display: block; height: 100%; background: var(--s1); }
        .bar span.s2 { background: var(--s2); } .bar span.s3 { background: var(--s3); } .bar span.s4 { background: var(--s4); }
        .two > section, .charts > figure { min-width: 0; }
        td a { white-space: nowrap; }
        .two { display: grid; grid-template-columns: repeat(auto-fit, minmax(440px, 1fr)); gap: 20px; }
        .ok { color: var(--accent); font-weight: 600; }
        .failed { color: var(--s2); font-weight: 600; }
        .muted, .empty { color: var(--muted); }
        .error { background: #fff; border-left: 4px solid var(--s2); padding: 10px 14px; border-radius: 4px; overflow-wrap: anywhere; }
        .pager { margin: 10px 0; }
        .attr { display: inline-block; margin-right: 10px; overflow-wrap: anywhere; }
        .description { white-space: pre-wrap; }
        figure.uptime { margin-top: 12px; }
        svg.strip { width: 100%; max-width: 574px; height: auto; display: block; }
        svg rect.none { fill: var(--line); } .key.none { background: var(--line); }
        """
}
