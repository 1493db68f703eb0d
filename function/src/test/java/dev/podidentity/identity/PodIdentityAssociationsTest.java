package dev.podidentity.identity;

import dev.podidentity.serviceaccount.ServiceAccountRef;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Set;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

// Contract: docs/contract.md#watched-files
class PodIdentityAssociationsTest {

    @TempDir
    Path dir;

    static final ServiceAccountRef SA = new ServiceAccountRef("ns", "sa");

    @Test
    void keysMatchCaseInsensitivelyLikeGo() throws Exception {
        assertEquals(Set.of(SA), PodIdentityAssociations.parse(
                "{\"IDENTITIES\":[{\"NameSpace\":\"ns\",\"serviceaccount\":\"sa\"}]}".getBytes()));
    }

    @Test
    void anEntryWithoutServiceAccountIsMalformed() {
        assertThrows(Exception.class, () -> PodIdentityAssociations.parse(
                "{\"identities\":[{\"namespace\":\"ns\"}]}".getBytes()));
    }

    @Test
    void followsTheFileAndKeepsGoodContentOverMalformed() throws Exception {
        Path file = dir.resolve("config.json");
        PodIdentityAssociations associations = PodIdentityAssociations.watching(file, Duration.ZERO);
        assertFalse(associations.contains(SA), "missing file: no association");

        Files.writeString(file, "{\"identities\":[{\"namespace\":\"ns\",\"serviceAccount\":\"sa\"}]}");
        assertTrue(associations.contains(SA));

        Files.writeString(file, "{\"identities\":[{\"namespace\":");
        assertTrue(associations.contains(SA), "malformed: previous kept");

        Files.writeString(file, "{\"identities\":[]}");
        assertFalse(associations.contains(SA));

        Files.writeString(file, "{\"identities\":[{\"namespace\":\"ns\",\"serviceAccount\":\"sa\"}]}");
        Files.delete(file);
        assertFalse(associations.contains(SA), "deleted file: no association");
    }
}
