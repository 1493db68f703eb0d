package dev.podidentity.identity;

import dev.podidentity.serviceaccount.ServiceAccountRef;

import org.junit.jupiter.api.Test;

import java.util.Optional;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

// Contract: docs/contract.md#mapping-configmap
class RoleMappingsTest {

    static final String CONFIG = """
            {
              "shop/api":    {"RoleARN": "arn:aws:iam::111122223333:role/exact", "TokenExpiration": 0},
              "team-*/ci":   {"RoleARN": "arn:aws:iam::111122223333:role/team-glob"},
              "team-a*/ci":  {"roleArn": "arn:aws:iam::111122223333:role/team-a-glob", "useRegionalSts": true},
              "*/ci":        {"RoleARN": "arn:aws:iam::111122223333:role/any", "Audience": "custom", "TokenExpiration": 3600},
              "*/api":       {"RoleARN": "arn:aws:iam::111122223333:role/any-api"},
              "no-slash":    {"RoleARN": "arn:aws:iam::111122223333:role/bad"},
              "shop/no-arn": {"Audience": "x"},
              "shop/typed":  {"RoleARN": "arn:aws:iam::111122223333:role/typed", "UseRegionalSTS": "yes"},
              "a/b/c":       {"RoleARN": "arn:aws:iam::111122223333:role/bad"}
            }""";

    static String role(RoleMappings mappings, String namespace, String name) {
        return mappings.find(new ServiceAccountRef(namespace, name)).map(RoleMapping::roleArn).orElse(null);
    }

    @Test
    void exactThenLongestGlobThenAnyNamespace() throws Exception {
        RoleMappings mappings = RoleMappings.parse(CONFIG);

        assertEquals("arn:aws:iam::111122223333:role/exact", role(mappings, "shop", "api"));
        assertEquals("arn:aws:iam::111122223333:role/any-api", role(mappings, "other", "api"));
        assertEquals("arn:aws:iam::111122223333:role/team-a-glob", role(mappings, "team-alpha", "ci"));
        assertEquals("arn:aws:iam::111122223333:role/team-glob", role(mappings, "team-b", "ci"));
        assertEquals("arn:aws:iam::111122223333:role/any", role(mappings, "dev", "ci"));
        assertEquals(null, role(mappings, "dev", "nobody"));
    }

    @Test
    void fieldsAreCaseInsensitiveAndZeroExpirationMeansUnset() throws Exception {
        RoleMappings mappings = RoleMappings.parse(CONFIG);

        assertEquals(new RoleMapping("arn:aws:iam::111122223333:role/team-a-glob", null, true, null),
                mappings.find(new ServiceAccountRef("team-a", "ci")).orElseThrow());
        assertEquals(new RoleMapping("arn:aws:iam::111122223333:role/any", "custom", null, 3600L),
                mappings.find(new ServiceAccountRef("dev", "ci")).orElseThrow());
        assertEquals(new RoleMapping("arn:aws:iam::111122223333:role/exact", null, null, null),
                mappings.find(new ServiceAccountRef("shop", "api")).orElseThrow());
    }

    @Test
    void invalidEntriesAreSkippedWithoutLosingTheOthers() throws Exception {
        RoleMappings mappings = RoleMappings.parse(CONFIG);

        assertEquals(Optional.empty(), mappings.find(new ServiceAccountRef("shop", "no-arn")));
        assertEquals(Optional.empty(), mappings.find(new ServiceAccountRef("shop", "typed")));
        assertEquals(Optional.empty(), mappings.find(new ServiceAccountRef("no-slash", "x")));
    }

    @Test
    void aConfigThatIsNotAnObjectIsAnError() {
        assertThrows(Exception.class, () -> RoleMappings.parse("[1]"));
        assertEquals(Optional.empty(), assertDoesNotThrowParse("").find(new ServiceAccountRef("a", "b")));
    }

    private static RoleMappings assertDoesNotThrowParse(String config) {
        try {
            return RoleMappings.parse(config);
        } catch (Exception e) {
            throw new AssertionError(e);
        }
    }

    @Test
    void aNamespaceKubernetesWouldRefuseMatchesNoGlobAndNothingFails() throws Exception {
        RoleMappings mappings = RoleMappings.parse(CONFIG);

        // Admission refuses these namespaces before any lookup (KubernetesNames); none is a path.
        for (String namespace : new String[] {"team-\u0000x", "team-a\u0000", "\u0000", "team-:*?<>|\\x",
                "..", "team-\uD800", "Team-a", "team-a/b", "team-"}) {
            assertEquals("arn:aws:iam::111122223333:role/any", role(mappings, namespace, "ci"), namespace);
        }
    }

    @Test
    void globsMatchLikeShellPatterns() throws Exception {
        RoleMappings mappings = RoleMappings.parse("""
                {"team-?/a":      {"RoleARN": "arn:aws:iam::111122223333:role/one-char"},
                 "t[a-c]am-x/b":  {"RoleARN": "arn:aws:iam::111122223333:role/range"},
                 "t[!a]am-y/b":   {"RoleARN": "arn:aws:iam::111122223333:role/negated"},
                 "*-prod-*/c":    {"RoleARN": "arn:aws:iam::111122223333:role/infix"},
                 "prod*/c":       {"RoleARN": "arn:aws:iam::111122223333:role/prefix"},
                 "{x,y}-[0-9]/e": {"RoleARN": "arn:aws:iam::111122223333:role/either"},
                 "q\\\\-[0-9]/f": {"RoleARN": "arn:aws:iam::111122223333:role/quoted"},
                 "bad[/d":        {"RoleARN": "arn:aws:iam::111122223333:role/unclosed"},
                 "a{b/d":         {"RoleARN": "arn:aws:iam::111122223333:role/unclosed"},
                 "a{b{c}}/d":     {"RoleARN": "arn:aws:iam::111122223333:role/nested"}}""");

        assertEquals("arn:aws:iam::111122223333:role/one-char", role(mappings, "team-1", "a"));
        assertEquals(null, role(mappings, "team-12", "a"));
        assertEquals("arn:aws:iam::111122223333:role/range", role(mappings, "tbam-x", "b"));
        assertEquals(null, role(mappings, "tdam-x", "b"));
        assertEquals("arn:aws:iam::111122223333:role/negated", role(mappings, "tbam-y", "b"));
        assertEquals(null, role(mappings, "taam-y", "b"));
        assertEquals("arn:aws:iam::111122223333:role/infix", role(mappings, "eu-prod-1", "c"));
        assertEquals("arn:aws:iam::111122223333:role/prefix", role(mappings, "prod", "c"), "* matches nothing too");
        assertEquals(null, role(mappings, "eu-prod", "c"));
        assertEquals("arn:aws:iam::111122223333:role/either", role(mappings, "y-2", "e"));
        assertEquals(null, role(mappings, "z-2", "e"));
        assertEquals("arn:aws:iam::111122223333:role/quoted", role(mappings, "q-1", "f"));
        assertEquals(null, role(mappings, "qx1", "f"), "a quoted character is itself");
        for (String namespace : new String[] {"bad", "ab", "abc", "a"}) {
            assertEquals(null, role(mappings, namespace, "d"), "an invalid pattern is skipped: " + namespace);
        }
    }
}
