"""Each logon rule is explained by the forms that made it apply (what the detail view shows)."""

from __future__ import annotations

import pandas as pd

from forensics import schema
from forensics.identity.explain import explain_logon
from forensics.identity.resolve import resolve_logon_types


def test_every_rule_names_its_evidence() -> None:
    rows = [
        {"actor": "CONTOSO\\pat", "mailbox": "pat@contoso.com"},
        {"actor": "assistant@contoso.com", "actor_ids": "S-1-5-21-1-2-3-4001|Pat Assistant",
         "mailbox": "Pat Assistant", "mailbox_ids": "S-1-5-21-1-2-3-2001"},
        {"actor": "CONTOSO\\pat", "mailbox": "2b3c4d5e-1111-2222-3333-444455556666@contoso.com"},
        {"actor": "CONTOSO\\pat", "mailbox": "ceo@contoso.com"},
        {"actor": "DOMAIN\\jdoe", "mailbox": "DOMAIN\\jdoe", "logon_type": "Owner", "logon_rule": "protocol:ActiveSync"},
        {"actor": "stinger@contoso.onmicrosoft.com", "mailbox": "311b45d6-1a3e-46ac-8434-721367961e19",
         "logon_type": "Owner", "logon_rule": "linked:UserKey",
         "details": "Id=rule-1; linked: 311b45d6-1a3e-46ac-8434-721367961e19 = stinger@contoso.onmicrosoft.com "
                    "(UserKey of stinger@contoso.onmicrosoft.com (record 1))"},
    ]
    frame = resolve_logon_types(schema.conform(pd.DataFrame(rows)))
    assert frame["logon_rule"].tolist() == ["alias-match", "sid-mismatch", "id-unresolved", "no-match",
                                            "protocol:ActiveSync", "linked:UserKey"]
    why = [explain_logon(r) for r in frame.to_dict("records")]
    assert why[0] == "actor form 'CONTOSO\\\\pat' and mailbox form 'pat@contoso.com' share the key 'pat' (alias heuristic)"
    assert "S-1-5-21-1-2-3-4001 is not mailbox SID S-1-5-21-1-2-3-2001" in why[1]
    assert "2b3c4d5e-1111-2222-3333-444455556666@contoso.com" in why[2] and "directory" in why[2]
    assert why[3].startswith("no form of the actor")
    assert why[4].startswith("ActiveSync opens only the signed-in user's own mailbox")
    assert why[5] == ("linked: 311b45d6-1a3e-46ac-8434-721367961e19 = stinger@contoso.onmicrosoft.com "
                      "(UserKey of stinger@contoso.onmicrosoft.com (record 1))")
