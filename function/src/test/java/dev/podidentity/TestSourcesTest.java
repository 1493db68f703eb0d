package dev.podidentity;

import dev.podidentity.TestSources.Root;
import dev.podidentity.TestSources.Runner;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Every test class of the build runs in it: a class whose name matches none of its runner's
 * patterns is compiled and never run, and no build says so (the property tests were such a class).
 */
class TestSourcesTest {

    @Test
    void everyClassThatDeclaresTestsIsRunByItsModulesRunner() throws IOException {
        assertEquals(List.of(), TestSources.neverRun(TestSources.ROOTS),
                "test classes that no Surefire or Failsafe <include> of pom.xml matches: rename them or add a pattern");
    }

    @Test
    void theRunnersPatternsAreReadFromThePomsAndFindTheTestsOfEachModule() throws IOException {
        List<Path> running = TestSources.running(TestSources.ROOTS);

        // Without these, the check above would pass on patterns that were never read.
        assertTrue(running.contains(Path.of("src/test/java/dev/podidentity/mutation/PodMutatorPropertiesTest.java")),
                "the jqwik properties run");
        assertTrue(running.contains(Path.of("src/test/java/dev/podidentity/TestSourcesTest.java")), running.toString());
        assertTrue(running.contains(Path.of("../benchmarks/src/test/java/dev/podidentity/bench/GuardTest.java")),
                running.toString());
        assertTrue(running.contains(Path.of("../e2e/src/test/java/dev/podidentity/e2e/MutationIT.java")),
                running.toString());
        assertTrue(running.size() >= 60, running.size() + " test classes found: " + running);
        assertFalse(running.contains(Path.of("src/test/java/dev/podidentity/TestJson.java")),
                "a helper without tests is no test class");
    }

    @Test
    void aClassWhoseNameMatchesNoPatternIsReportedAsNeverRun(@TempDir Path dir) throws IOException {
        Path sources = Files.createDirectories(dir.resolve("src/test/java/p"));
        Files.writeString(sources.resolve("ParserChecks.java"), """
                class ParserChecks {
                    @Test
                    void parses() {
                    }
                }
                """);
        Files.writeString(sources.resolve("ParserTest.java"), """
                class ParserTest {
                    @ParameterizedTest
                    void parses(String s) {
                    }
                }
                """);
        Files.writeString(sources.resolve("Fixtures.java"), "class Fixtures {\n}\n");
        Files.writeString(dir.resolve("pom.xml"), """
                <project><build><plugins><plugin>
                  <artifactId>maven-surefire-plugin</artifactId>
                  <configuration><includes><include>**/*Test.java</include></includes></configuration>
                </plugin></plugins></build></project>
                """);
        List<Root> roots = List.of(new Root(dir.resolve("src/test/java"), dir.resolve("pom.xml"), Runner.SUREFIRE));

        assertEquals(List.of(sources.resolve("ParserChecks.java")), TestSources.neverRun(roots));
        assertEquals(List.of(sources.resolve("ParserTest.java")), TestSources.running(roots));
    }

    @Test
    void mavensDoubleStarAlsoMatchesAFileAtTheRoot() {
        assertTrue(TestSources.matches(Path.of("RootTest.java"), List.of("**/*Test.java")));
        assertTrue(TestSources.matches(Path.of("a/b/DeepTest.java"), List.of("**/*Test.java")));
        assertFalse(TestSources.matches(Path.of("a/TestedThing.java"), List.of("**/*Test.java")));
    }
}
