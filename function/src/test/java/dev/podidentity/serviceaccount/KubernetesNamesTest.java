package dev.podidentity.serviceaccount;

import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

// Contract: docs/contract.md#denials
class KubernetesNamesTest {

    @Test
    void namespacesAreDns1123Labels() {
        for (String ok : new String[] {"a", "0", "shop", "team-a1", "n".repeat(63)}) {
            assertTrue(KubernetesNames.isNamespace(ok), ok);
        }
        for (String bad : new String[] {null, "", "-a", "a-", "A", "a.b", "a_b", "a/b", "..", "a\u0000", "n".repeat(64)}) {
            assertFalse(KubernetesNames.isNamespace(bad), bad);
        }
    }

    @Test
    void serviceAccountNamesAreDns1123Subdomains() {
        for (String ok : new String[] {"a", "api", "api.v2", "a-b.c-d", "0.0", "a".repeat(253), "a".repeat(100) + ".b"}) {
            assertTrue(KubernetesNames.isServiceAccountName(ok), ok);
        }
        for (String bad : new String[] {null, "", ".", "a.", ".a", "a..b", "a.-b", "a-.b", "api#x", "api?x=1",
            "../../kube-system/x", "a%2F", "Api", "a b", "a".repeat(254)}) {
            assertFalse(KubernetesNames.isServiceAccountName(bad), bad);
        }
    }
}
