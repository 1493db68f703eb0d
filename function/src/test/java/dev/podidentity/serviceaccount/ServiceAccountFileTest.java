package dev.podidentity.serviceaccount;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.time.Duration;
import java.util.Map;
import java.util.Optional;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

// Contract: docs/contract.md#watched-files
class ServiceAccountFileTest {

    @TempDir
    Path dir;

    static final ServiceAccountRef APP = new ServiceAccountRef("shop", "app");

    String roleOf(ServiceAccountSource source, ServiceAccountRef ref) {
        return source.find(ref).map(sa -> sa.annotation("eks.amazonaws.com/role-arn")).orElse(null);
    }

    @Test
    void readsSeveralYamlDocumentsWithDefaultNamespace() throws Exception {
        Path file = dir.resolve("sas.yaml");
        Files.writeString(file, """
                apiVersion: v1
                kind: ServiceAccount
                metadata:
                  name: app
                  namespace: shop
                  annotations:
                    eks.amazonaws.com/role-arn: arn:aws:iam::111122223333:role/app
                ---
                kind: ServiceAccount
                metadata:
                  name: other
                """);

        ServiceAccountFile source = ServiceAccountFile.watching(file, Duration.ZERO);

        assertEquals("arn:aws:iam::111122223333:role/app", roleOf(source, APP));
        assertTrue(source.find(new ServiceAccountRef("default", "other")).isPresent());
        assertEquals(Optional.empty(), source.find(new ServiceAccountRef("shop", "nobody")));
    }

    @Test
    void readsJsonArraysAndLists() throws Exception {
        Path array = dir.resolve("array.json");
        Files.writeString(array, "[{\"metadata\":{\"name\":\"app\",\"namespace\":\"shop\"}}]");
        Path list = dir.resolve("list.yaml");
        Files.writeString(list, "kind: ServiceAccountList\nitems:\n- metadata: {name: app, namespace: shop}\n");

        assertTrue(ServiceAccountFile.watching(array, Duration.ZERO).find(APP).isPresent());
        assertTrue(ServiceAccountFile.watching(list, Duration.ZERO).find(APP).isPresent());
    }

    @Test
    void aChangedFileIsReReadAndAMalformedOneKeepsThePreviousContent() throws Exception {
        Path file = dir.resolve("sas.yaml");
        Files.writeString(file, sa("role/one"));
        ServiceAccountFile source = ServiceAccountFile.watching(file, Duration.ZERO);
        assertEquals("arn:aws:iam::111122223333:role/one", roleOf(source, APP));

        Files.writeString(file, sa("role/two") + "\n# grown\n");
        assertEquals("arn:aws:iam::111122223333:role/two", roleOf(source, APP));

        Files.writeString(file, "kind: ServiceAccount\nmetadata: {namespace: shop}\n");
        assertEquals("arn:aws:iam::111122223333:role/two", roleOf(source, APP), "no name: malformed, previous kept");

        Files.writeString(file, "{ not: [ yaml");
        assertEquals("arn:aws:iam::111122223333:role/two", roleOf(source, APP), "syntax error: previous kept");
    }

    @Test
    void aConfigMapStyleSymlinkSwapIsFollowed() throws Exception {
        // kubelet layout: file -> ..data/file, ..data -> ..2026_11_23_v1; an update swaps ..data.
        Path v1 = Files.createDirectory(dir.resolve("..v1"));
        Path v2 = Files.createDirectory(dir.resolve("..v2"));
        Files.writeString(v1.resolve("sas.yaml"), sa("role/one"));
        Files.writeString(v2.resolve("sas.yaml"), sa("role/two"));
        Files.createSymbolicLink(dir.resolve("..data"), v1.getFileName());
        Path file = Files.createSymbolicLink(dir.resolve("sas.yaml"), Path.of("..data/sas.yaml"));
        ServiceAccountFile source = ServiceAccountFile.watching(file, Duration.ZERO);
        assertEquals("arn:aws:iam::111122223333:role/one", roleOf(source, APP));

        Path tmp = Files.createSymbolicLink(dir.resolve("..data_tmp"), v2.getFileName());
        Files.move(tmp, dir.resolve("..data"), StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);

        assertEquals("arn:aws:iam::111122223333:role/two", roleOf(source, APP));
    }

    @Test
    void aMissingFileMeansNoServiceAccountsUntilItAppears() throws Exception {
        Path file = dir.resolve("later.yaml");
        ServiceAccountFile source = ServiceAccountFile.watching(file, Duration.ZERO);
        assertEquals(Optional.empty(), source.find(APP));

        Files.writeString(file, sa("role/one"));

        assertEquals("arn:aws:iam::111122223333:role/one", roleOf(source, APP));
    }

    @Test
    void parseNamesTheDuplicate() throws Exception {
        Exception e = org.junit.jupiter.api.Assertions.assertThrows(Exception.class,
                () -> ServiceAccountFile.parse((sa("a") + "---\n" + sa("b")).getBytes(), false));

        assertEquals("ServiceAccount shop/app appears twice", e.getMessage());
        assertEquals(Map.of(), ServiceAccountFile.parse(new byte[0], false));
    }

    static String sa(String role) {
        return "kind: ServiceAccount\nmetadata:\n  name: app\n  namespace: shop\n  annotations:\n"
                + "    eks.amazonaws.com/role-arn: arn:aws:iam::111122223333:" + role + "\n";
    }
}
