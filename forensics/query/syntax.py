"""The query-language reference shown by Help > Query syntax (Markdown).

Kept as Python, not a data file, so wheels and frozen builds always carry it.
"""

SYNTAX = """\
# Query syntax

Type terms separated by spaces; a row must match **all** of them. Matching is
**case-insensitive substring** unless stated otherwise (Unicode simple lower case on both
sides: `É` finds `é`; `ss` does not find `ß`).

| you type | matches rows where |
|---|---|
| `jsmith` | any text column contains "jsmith" (actor, mailbox, folder, item, client, …) |
| `"quarterly results"` | any text column contains the phrase |
| `mailbox:ceo` | the mailbox contains "ceo" |
| `actor:"pat assistant"` | the actor contains "pat assistant" (quote values with spaces) |
| `mailbox:=ceo@contoso.com` | the mailbox is **exactly** that value (case-sensitive) — used by drill-downs |
| `-operation:Logon` | NOT (operation contains "Logon"); `-` works before any term or `( … )` |
| `NOT is:owner` | same as `-is:owner` |
| `mailbox:ceo OR mailbox:cfo` | either; `OR` must be upper case (`\\|` also works) |
| `(mailbox:ceo OR mailbox:cfo) is:nonowner` | parentheses group; AND binds tighter than OR |
| `a AND b` | same as `a b` |
| `after:2024-03-05` | time ≥ 2024-03-05 00:00 in the display zone |
| `before:"2024-03-06 18:00"` | time < 2024-03-06 18:00 in the display zone |
| `on:2024-03-05` | time within that day (display zone) |
| `after:"2024-03-05 10:00+01:00"` | an explicit offset (or `Z`) overrides the display zone |
| `time:>=2024-03-05`, `time:<"2024-03-06 08:00"` | comparisons `>` `>=` `<` `<=` `=` on any time column |
| `hour:9`, `hour:>=18` | hour of day 0–23 in the display zone (comparisons allowed) |
| `weekday:sat`, `weekday:<=5` | day of week in the display zone: `mon`…`sun`, or ISO 1 (Monday)…7 |
| `event_id:10102`, `event_id:>=10100` | numeric columns compare as numbers |
| `admin_rights:true` | true/false columns |
| `has:client_ip` / `missing:client_ip` | the value is recorded / not recorded |
| `is:nonowner` | logon type is not Owner (Delegate, Admin, Unknown or not recorded) |
| `is:owner` | logon type is Owner |
| `is:admin` | logon type is Admin, or the source set the administrative-rights flag |
| `is:failure` / `is:success` | outcome is Failure / Success |
| `is:change` | an administrative change or command, not a mailbox access (AuditConfigChange, PermissionChange, ForwardingChange, InboxRuleChange, MailboxExport, AdminCommand) |
| `is:probe` | Exchange's own health or test traffic (HealthMailbox…, extest_… accounts; managed-availability, MapiHttpClient or Test-*Connectivity user agents): not a person, so left out of the findings pairs and the non-owner heatmap, still listed and counted |
| `is:expected` | the row belongs to an actor–mailbox pair the examiner marked as expected access in the case (Findings, right-click); `is:nonowner -is:expected` leaves the access nobody has explained yet |
| `expected:backup` | the reason of the mark that explains the row |

**Fields** are the table's columns — `time operation mailbox actor logon_type admin_rights
folder item client_ip client_host client_app outcome server event_id record_id evidence
source_format provider mapping logon_rule time_basis actor_ids mailbox_ids details` — and
any extra column present (e.g. `tag:` once bookmarks add tags, `expected:` once review marks exist). Field names are
case-insensitive. Short aliases:

| alias | column |
|---|---|
| `op` | operation |
| `user`, `who` | actor |
| `mbx`, `owner` | mailbox |
| `logon`, `type` | logon_type |
| `admin` | admin_rights |
| `subject` | item |
| `ip` | client_ip |
| `host`, `machine` | client_host |
| `app`, `client` | client_app |
| `result` | outcome |
| `id`, `eventid` | event_id |
| `record` | record_id |
| `file` | evidence |
| `format`, `source` | source_format |

**Quoting.** Inside `"…"` write `\\"` for a quote and `\\\\` for a backslash. A word that
starts with `-` is a negation: quote it (`"-x"`) to search for it literally.

**Times** are stored in UTC; what you type and see is in the display zone (View menu).
`after:` is inclusive, `before:` exclusive, so `after:X before:Y` is the half-open range
[X, Y) and consecutive ranges never overlap — exactly how heatmap cells are defined.

**Errors** are shown in the bar with the position of the problem (for example
`unterminated quote (at position 9)`); the previous result stays on screen.
"""
