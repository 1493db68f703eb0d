package dev.podidentity;

import com.tngtech.archunit.base.DescribedPredicate;
import com.tngtech.archunit.core.domain.JavaClass;
import com.tngtech.archunit.core.domain.JavaClasses;
import com.tngtech.archunit.core.importer.ClassFileImporter;
import com.tngtech.archunit.core.importer.ImportOption;

import dev.podidentity.identity.ContainerSelector;
import dev.podidentity.identity.CredentialMode;
import dev.podidentity.identity.Identity;
import dev.podidentity.identity.RoleSessionName;
import dev.podidentity.identity.TokenProjection;

import org.junit.jupiter.api.Test;

import java.util.Set;

import static com.tngtech.archunit.lang.syntax.ArchRuleDefinition.noClasses;
import static com.tngtech.archunit.library.dependencies.SlicesRuleDefinition.slices;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Our packages depend on each other one way only (docs/architecture.md, "The packages"): the HTTP
 * edge, the clusters and the metrics on the admission, the admission on the identity and the
 * mutation rules, never the reverse; and the pure core — the pod model and the mutation rules, and
 * the configuration — on nothing of ours, but for the identity values that the mutation applies. Checked on the compiled classes with ArchUnit: a cycle or a
 * dependency the wrong way fails the build, naming the classes that make it.
 */
class PackageDependenciesTest {

    static final JavaClasses MAIN = new ClassFileImporter()
            .withImportOption(ImportOption.Predefined.DO_NOT_INCLUDE_TESTS)
            .importPackages("dev.podidentity");

    @Test
    void theClassesAreFound() {
        assertTrue(MAIN.size() > 50, "classes imported: " + MAIN.size());
    }

    @Test
    void noPackageDependsOnItselfThroughOthers() {
        slices().matching("dev.podidentity.(*)..").should().beFreeOfCycles().check(MAIN);
    }

    /** What the mutation takes from identity: the identity a pod receives, a value with no I/O. */
    static final Set<String> IDENTITY_VALUES = Set.of(Identity.class.getName(), CredentialMode.class.getName(),
            TokenProjection.class.getName(), RoleSessionName.class.getName(), ContainerSelector.class.getName());

    @Test
    void theMutationCoreDependsOnNothingOfOursButTheIdentityItApplies() {
        noClasses().that().resideInAPackage("dev.podidentity.mutation..")
                .should().dependOnClassesThat().resideInAnyPackage("dev.podidentity.admission..",
                        "dev.podidentity.cluster..", "dev.podidentity.config..", "dev.podidentity.http..",
                        "dev.podidentity.metrics..", "dev.podidentity.oidc..",
                        "dev.podidentity.serviceaccount..", "dev.podidentity.startup..")
                .orShould().dependOnClassesThat(identityBeyondItsValues())
                .check(MAIN);
    }

    @Test
    void theIdentityValuesDependOnNothingOfOursButEachOther() {
        noClasses().that(nameIn(IDENTITY_VALUES))
                .should().dependOnClassesThat(DescribedPredicate.describe("a class of ours other than identity's values",
                        (JavaClass c) -> ours(c, "dev.podidentity")))
                .check(MAIN);
    }

    static DescribedPredicate<JavaClass> identityBeyondItsValues() {
        return DescribedPredicate.describe("identity's classes other than its values " + IDENTITY_VALUES,
                c -> ours(c, "dev.podidentity.identity"));
    }

    /** Whether the class (or an array's element class) is in the package and not one of identity's values. */
    static boolean ours(JavaClass c, String packagePrefix) {
        JavaClass base = c.getBaseComponentType();
        return base.getPackageName().startsWith(packagePrefix) && !IDENTITY_VALUES.contains(base.getName());
    }

    static DescribedPredicate<JavaClass> nameIn(Set<String> names) {
        return DescribedPredicate.describe("named in " + names, c -> names.contains(c.getName()));
    }

    @Test
    void theConfigurationDependsOnNoOtherPackageOfOurs() {
        noClasses().that().resideInAPackage("dev.podidentity.config..")
                .should().dependOnClassesThat().resideInAnyPackage("dev.podidentity.admission..",
                        "dev.podidentity.cluster..", "dev.podidentity.http..", "dev.podidentity.identity..",
                        "dev.podidentity.metrics..", "dev.podidentity.mutation..", "dev.podidentity.oidc..",
                        "dev.podidentity.serviceaccount..", "dev.podidentity.startup..")
                .check(MAIN);
    }

    @Test
    void nothingButTheEdgeDependsOnTheHttpPackage() {
        noClasses().that().resideOutsideOfPackages("dev.podidentity.http..", "dev.podidentity.startup..")
                .should().dependOnClassesThat().resideInAPackage("dev.podidentity.http..")
                .check(MAIN);
    }

    /** docs/startup.md: no domain class calls into the start-up measures. */
    @Test
    void nothingDependsOnTheStartUpPackage() {
        noClasses().that().resideOutsideOfPackage("dev.podidentity.startup..")
                .should().dependOnClassesThat().resideInAPackage("dev.podidentity.startup..")
                .check(MAIN);
    }
}
