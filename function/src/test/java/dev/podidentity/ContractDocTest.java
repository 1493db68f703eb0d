package dev.podidentity;

import dev.podidentity.config.PodIdentityConfig;
import dev.podidentity.config.TestConfig;

import dev.podidentity.cluster.ClusterRegistryProbe;
import dev.podidentity.cluster.ClusterSettings;
import dev.podidentity.cluster.Registration;
import dev.podidentity.identity.IdentitySettings;
import dev.podidentity.serviceaccount.ClusterAccess;

import io.smallrye.config.WithDefault;
import io.smallrye.config.WithParentName;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.io.StringReader;
import java.lang.reflect.Method;
import java.lang.reflect.Modifier;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.Properties;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The behaviour contract, docs/contract.md, is kept true by the tests that name its sections. Each
 * section that is a promise has an explicit anchor ({@code <a id="env-vars"></a>}); a test that
 * proves it says so in a comment above it or its class, {@code // Contract: docs/contract.md#} and
 * the anchor (any mention of the page with an anchor in a test source counts). This test fails
 * when a test names a section the page does not have (the name is wrong or the section was
 * removed) and when a section is named by no test (a promise nothing checks). Only test classes
 * the build runs count ({@link TestSources}: those of this module, the benchmarks and the
 * end-to-end suite whose runner's patterns match them): a tag in a helper, or in a class no
 * runner picks up, proves nothing.
 *
 * <p>It also proves docs/contract.md#configuration itself: every property of
 * {@link PodIdentityConfig} has a row there with the default the code has, and every row is a
 * property the code has. Per-cluster properties are described there by reference to
 * {@code PodIdentityConfig.Cluster}, so they are not listed one by one.
 */
class ContractDocTest {

    static final Path CONTRACT = Path.of("../docs/contract.md");
    static final Path APPLICATION_PROPERTIES = Path.of("src/main/resources/application.properties");

    static final Pattern SECTION = Pattern.compile("<a id=\"([^\"]+)\"></a>");
    static final Pattern REFERENCE = Pattern.compile("contract\\.md#([\\w-]+)");
    /** A table row whose first cell is one property name in backticks. */
    static final Pattern PROPERTY_ROW =
            Pattern.compile("(?m)^\\| `((?:pod-identity|quarkus)\\.[^`]+)` \\| ([^|]*) \\|");
    static final Pattern CODE_SPAN = Pattern.compile("`([^`]*)`");

    record Reference(Path file, int line, String section) {
        @Override
        public String toString() {
            return file + ":" + line + " names " + section;
        }
    }

    @Test
    void everySectionATestNamesIsOnThePage() throws IOException {
        Set<String> sections = sections();
        List<Reference> dangling = references().stream().filter(r -> !sections.contains(r.section())).toList();

        assertEquals(List.of(), dangling, "tests name sections that docs/contract.md does not have; its sections: "
                + sections);
    }

    @Test
    void everySectionIsNamedByATest() throws IOException {
        Set<String> named = new TreeSet<>();
        references().forEach(r -> named.add(r.section()));
        Set<String> unproven = new TreeSet<>(sections());
        unproven.removeAll(named);

        assertEquals(Set.of(), unproven, "sections of docs/contract.md that no test names: put "
                + "'// Contract: docs/contract.md#<section>' above the tests that prove them");
    }

    @Test
    void thePageHasItsSectionsAndTheTestsNameThem() throws IOException {
        // The two checks above pass on an empty page or with no references at all: make sure that
        // is not why they pass.
        assertTrue(sections().size() >= 20, "sections found: " + sections());
        assertTrue(references().size() >= sections().size(), "references found: " + references());
        assertTrue(sections().contains("configuration"), "the configuration section this test proves");
    }

    @Test
    void onlyTagsInTestClassesTheBuildRunsCount(@TempDir Path dir) throws IOException {
        Path sources = Files.createDirectories(dir.resolve("src/test/java/p"));
        String tag = "// Contract: " + CONTRACT.getFileName() + "#"; // not written out: this file would name it
        Files.writeString(sources.resolve("RunningTest.java"), tag + "env-vars\nclass RunningTest {\n    @Test\n"
                + "    void proves() {\n    }\n}\n");
        Files.writeString(sources.resolve("NeverRunChecks.java"), tag + "limits\nclass NeverRunChecks {\n    @Test\n"
                + "    void proves() {\n    }\n}\n");
        Files.writeString(sources.resolve("SharedFixture.java"), tag + "volume\nclass SharedFixture {\n}\n");
        Files.writeString(dir.resolve("pom.xml"), "<project><build><plugins><plugin>"
                + "<artifactId>maven-surefire-plugin</artifactId><configuration><includes>"
                + "<include>**/*Test.java</include></includes></configuration></plugin></plugins></build></project>");

        List<Reference> found = references(List.of(new TestSources.Root(dir.resolve("src/test/java"),
                dir.resolve("pom.xml"), TestSources.Runner.SUREFIRE)));

        assertEquals(List.of("env-vars"), found.stream().map(Reference::section).toList(), found.toString());
    }

    @Test
    void everyPropertyIsOnThePageWithTheDefaultInTheCode() throws IOException {
        Map<String, String> documented = documentedProperties();
        Map<String, Optional<String>> inCode = new TreeMap<>();
        collect(PodIdentityConfig.class, "pod-identity.", inCode);
        assertTrue(inCode.size() >= 40, "properties found in PodIdentityConfig: " + inCode.keySet());

        List<String> problems = new ArrayList<>();
        inCode.forEach((property, defaultValue) -> {
            String cell = documented.get(property);
            if (cell == null) {
                problems.add(property + ": not in docs/contract.md#configuration");
            } else if (defaultValue.isPresent() && !defaultValue.get().equals(firstCodeSpan(cell))) {
                problems.add(property + ": documented default '" + cell.strip() + "', the code's is `"
                        + defaultValue.get() + "`");
            } else if (defaultValue.isEmpty() && !cell.strip().startsWith("unset")) {
                problems.add(property + ": has no default in the code, so its default must read 'unset…', was '"
                        + cell.strip() + "'");
            }
        });
        documented.keySet().stream()
                .filter(p -> p.startsWith("pod-identity.") && !p.startsWith("pod-identity.clusters."))
                .filter(p -> !inCode.containsKey(p))
                .forEach(p -> problems.add(p + ": documented, but PodIdentityConfig has no such property"));

        assertEquals(List.of(), problems);
    }

    @Test
    void quarkusSettingsTheFunctionShipsAreOnThePageAsShipped() throws IOException {
        Properties shipped = new Properties();
        shipped.load(new StringReader(Files.readString(APPLICATION_PROPERTIES)));
        Map<String, String> documented = documentedProperties();

        List<String> problems = new ArrayList<>();
        documented.forEach((property, cell) -> {
            String value = shipped.getProperty(property);
            if (property.startsWith("quarkus.") && value != null && !value.equals(firstCodeSpan(cell))) {
                problems.add(property + ": documented default '" + cell.strip() + "', application.properties says `"
                        + value + "`");
            }
        });
        assertTrue(documented.containsKey("quarkus.http.limits.max-body-size"), documented.keySet().toString());
        assertEquals(List.of(), problems);
    }

    /** The anchors of the page's sections. */
    static Set<String> sections() throws IOException {
        Set<String> sections = new TreeSet<>();
        Matcher m = SECTION.matcher(Files.readString(CONTRACT));
        while (m.find()) {
            assertTrue(sections.add(m.group(1)), "section anchor " + m.group(1) + " appears twice");
        }
        return sections;
    }

    /** Every {@code docs/contract.md#<section>} written in a test class the build runs. */
    static List<Reference> references() throws IOException {
        return references(TestSources.ROOTS);
    }

    static List<Reference> references(List<TestSources.Root> roots) throws IOException {
        List<Reference> references = new ArrayList<>();
        for (Path file : TestSources.running(roots)) {
            List<String> lines = Files.readAllLines(file);
            for (int i = 0; i < lines.size(); i++) {
                Matcher m = REFERENCE.matcher(lines.get(i));
                while (m.find()) {
                    references.add(new Reference(file, i + 1, m.group(1)));
                }
            }
        }
        return references;
    }

    /** Property name to its "default" cell, from the tables of the configuration section. */
    static Map<String, String> documentedProperties() throws IOException {
        String page = Files.readString(CONTRACT);
        int start = page.indexOf("<a id=\"configuration\"></a>");
        assertTrue(start >= 0, "docs/contract.md has no configuration section");
        Matcher next = SECTION.matcher(page);
        int end = next.find(start + 1) ? next.start() : page.length();
        Map<String, String> properties = new LinkedHashMap<>();
        Matcher row = PROPERTY_ROW.matcher(page.substring(start, end));
        while (row.find()) {
            assertEquals(null, properties.put(row.group(1), row.group(2)), row.group(1) + " is documented twice");
        }
        return properties;
    }

    /**
     * The leaf properties under a {@code @ConfigMapping} interface, with their defaults: a
     * {@code @WithDefault}, else the built-in default the code applies ({@link #codeDefaults()}).
     */
    static void collect(Class<?> group, String prefix, Map<String, Optional<String>> properties) {
        for (Method method : group.getMethods()) {
            if (Modifier.isStatic(method.getModifiers()) || method.isDefault() || method.isSynthetic()) {
                continue;
            }
            Class<?> type = method.getReturnType();
            if (Map.class.isAssignableFrom(type)) {
                continue; // pod-identity.clusters.<id>.…: described by reference to PodIdentityConfig.Cluster
            }
            if (method.isAnnotationPresent(WithParentName.class)) {
                collect(type, prefix, properties);
                continue;
            }
            String name = prefix + kebab(method.getName());
            if (type.isInterface() && type.getEnclosingClass() == PodIdentityConfig.class) {
                collect(type, name + ".", properties);
                continue;
            }
            WithDefault withDefault = method.getAnnotation(WithDefault.class);
            assertFalse(withDefault == null && type != Optional.class,
                    name + " has neither a default nor Optional: the page cannot say what it is when unset");
            properties.put(name, withDefault != null ? Optional.of(withDefault.value())
                    : Optional.ofNullable(CODE_DEFAULTS.get(name)));
        }
    }

    static final Map<String, String> CODE_DEFAULTS = codeDefaults();

    /**
     * What the code makes of the cluster settings that are left unset: read from the settings it
     * builds out of no properties at all, so the page is held to what the code does.
     */
    static Map<String, String> codeDefaults() {
        PodIdentityConfig none = TestConfig.of(Map.of());
        PodIdentityConfig mapped = TestConfig.of(Map.of("pod-identity.config-map.enabled", "true"));
        ClusterSettings plain = ClusterSettings.layered("x", new ClusterAccess.FromEnvironment(), none.defaultCluster(),
                none.defaultCluster());
        ClusterSettings withMap = ClusterSettings.layered("x", new ClusterAccess.FromEnvironment(),
                mapped.defaultCluster(), mapped.defaultCluster());
        IdentitySettings identity = plain.identity();
        IdentitySettings.PodIdentitySettings agent = identity.podIdentity();
        Map<String, String> defaults = new TreeMap<>();
        defaults.put("pod-identity.annotation-prefix", identity.annotationPrefix());
        defaults.put("pod-identity.token-audience", identity.tokenAudience());
        defaults.put("pod-identity.token-mount-path", identity.tokenMountPath());
        defaults.put("pod-identity.token-expiration", String.valueOf(identity.tokenExpiration()));
        defaults.put("pod-identity.sts-regional-endpoint", String.valueOf(identity.regionalSts()));
        defaults.put("pod-identity.role-session-name", kebab(identity.roleSessionName().name()));
        defaults.put("pod-identity.on-lookup-failure", kebab(identity.onLookupFailure().name()));
        defaults.put("pod-identity.config-map.enabled", String.valueOf(plain.mappings() != null));
        defaults.put("pod-identity.config-map.namespace", withMap.mappings().namespace());
        defaults.put("pod-identity.config-map.name", withMap.mappings().name());
        defaults.put("pod-identity.container-credentials.audience", agent.audience());
        defaults.put("pod-identity.container-credentials.mount-path", agent.mountPath());
        defaults.put("pod-identity.container-credentials.volume-name", agent.volumeName());
        defaults.put("pod-identity.container-credentials.token-path", agent.tokenPath());
        defaults.put("pod-identity.container-credentials.full-uri", agent.fullUri());
        boolean insecure = ((ClusterAccess.ApiServer) ((Registration.Usable) ClusterRegistryProbe.defaultCluster(
                TestConfig.of(Map.of("pod-identity.api-server-url", "https://x"))).orElseThrow()).settings().access())
                .insecureSkipTlsVerify();
        defaults.put("pod-identity.insecure-skip-tls-verify", String.valueOf(insecure));
        defaults.put("pod-identity.kubernetes.insecure-skip-tls-verify", String.valueOf(insecure));
        return defaults;
    }

    /** {@code awsDefaultRegion} → {@code aws-default-region}, as SmallRye Config names properties. */
    static String kebab(String methodName) {
        return methodName.replaceAll("([a-z0-9])([A-Z])", "$1-$2").replace('_', '-').toLowerCase(Locale.ROOT);
    }

    static String firstCodeSpan(String cell) {
        Matcher m = CODE_SPAN.matcher(cell);
        return m.find() ? m.group(1) : null;
    }
}
