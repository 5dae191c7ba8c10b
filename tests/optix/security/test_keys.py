import pytest

from optix.security import (
    PREFIX_LENGTH,
    fingerprint,
    generate_key,
    has_role,
    hash_key,
    key_matches,
    key_prefix,
    new_salt,
    roles_for,
)


def test_keys_are_random_prefixed_and_salted_digests_differ():
    a, b = generate_key(), generate_key()
    assert a != b and a.startswith("optx_") and len(a) > 40
    assert key_prefix(a) == a[:PREFIX_LENGTH]
    s1, s2 = new_salt(), new_salt()
    assert len(s1) == 32 and s1 != s2
    assert hash_key(a, s1) != hash_key(a, s2)
    assert len(hash_key(a, s1)) == 64 and a not in hash_key(a, s1)
    assert key_matches(a, s1, hash_key(a, s1))
    assert not key_matches(b, s1, hash_key(a, s1))
    assert fingerprint(a) == hash_key(a, "")


def test_roles_imply_the_lower_ones():
    assert roles_for("read") == ["read"]
    assert roles_for("admin") == ["read", "trade", "admin"]
    assert has_role(["admin"], "trade") and has_role(["trade"], "read")
    assert not has_role(["read"], "trade") and not has_role([], "read")
    assert not has_role(["bogus"], "read")
    with pytest.raises(ValueError, match="unknown role"):
        roles_for("root")
    with pytest.raises(ValueError):
        has_role(["admin"], "root")
