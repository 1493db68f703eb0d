package dev.podidentity.mutation;

import dev.podidentity.identity.ContainerSelector;
import dev.podidentity.identity.CredentialMode;
import dev.podidentity.identity.Identity;
import dev.podidentity.identity.RoleSessionName;
import dev.podidentity.identity.TokenProjection;

import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;

/**
 * The mutation rules, top to bottom: given a pod and the identity it should carry, the JSON Patch
 * operations that give every selected container what the AWS SDKs need. Pure: no I/O, no clock,
 * no randomness; the same input always gives the same output.
 *
 * <pre>{@code
 * PodView pod = PodViewReader.read(parser);   // admission reads it from the review
 * Mutation mutation = PodMutator.mutate(pod, identity);
 * byte[] patch = JsonPatchWriter.write(mutation.ops(), 1536 * 1024); // and writes it
 * }</pre>
 *
 * <p>Only {@code add} operations that append ({@code /-}) or create an absent member are emitted,
 * so fields this code does not know (native sidecars, new probe types, …) are never rewritten;
 * the AWS webhook replaced whole container arrays and lost such fields. Every check is "only if
 * absent", so running the function on its own output yields no operation.
 */
public final class PodMutator {

    /** Label added to pods in Pod Identity mode; the key is fixed, whatever the annotation prefix. */
    public static final String POD_IDENTITY_LABEL = "eks.amazonaws.com/pod-identity";
    public static final String POD_IDENTITY_LABEL_VALUE = "enabled";

    static final String AWS_STS_REGIONAL_ENDPOINTS = "AWS_STS_REGIONAL_ENDPOINTS";
    static final String AWS_DEFAULT_REGION = "AWS_DEFAULT_REGION";
    static final String AWS_REGION = "AWS_REGION";
    static final String AWS_ROLE_SESSION_NAME = "AWS_ROLE_SESSION_NAME";

    private PodMutator() {
    }

    public static Mutation mutate(PodView pod, Identity identity) {
        TokenProjection token = identity.token();
        List<PatchOp> ops = new ArrayList<>();
        List<String> warnings = new ArrayList<>();

        // A volume of our name that is not our projected token would leave the SDK pointed at the
        // wrong file (the AWS webhook's #315): admit the pod as it is and say why.
        PodView.Volume existing = pod.volume(token.volumeName()).orElse(null);
        if (existing != null && !existing.projectsServiceAccountToken(token.tokenPath())) {
            warnings.add("volume " + token.volumeName() + " exists and is not a projected ServiceAccount token"
                    + " with path " + token.tokenPath() + "; pod admitted without AWS credentials");
            return new Mutation(List.of(), warnings);
        }

        if (identity.mode() == CredentialMode.POD_IDENTITY) {
            addPodIdentityLabel(pod, ops);
        }
        if (existing == null) {
            ops.add(pod.volumes() == null
                    ? new PatchOp("/spec/volumes", new PatchValue.Array(List.of(new PatchValue.TokenVolume(token))))
                    : new PatchOp("/spec/volumes/-", new PatchValue.TokenVolume(token)));
        }

        // Windows containers read the token file through a Windows path; the mount stays as it is.
        String tokenFile = pod.windows() ? windowsPath(token.tokenFile()) : token.tokenFile();
        for (PodView.Container container : pod.initContainers()) {
            mutateContainer("/spec/initContainers/", container, pod, identity, tokenFile, ops, warnings);
        }
        for (PodView.Container container : pod.containers()) {
            mutateContainer("/spec/containers/", container, pod, identity, tokenFile, ops, warnings);
        }
        warnAboutAbsentNames(pod, identity.containers(), warnings);
        return new Mutation(ops, warnings);
    }

    private static void mutateContainer(String arrayPath, PodView.Container container, PodView pod,
            Identity identity, String tokenFile, List<PatchOp> ops, List<String> warnings) {
        if (!identity.containers().selects(container.name())) {
            return;
        }
        CredentialMode mode = identity.mode();
        boolean hasCredentials = container.hasEnv(mode.credentialVariable())
                || container.hasEnv(mode.tokenFileVariable());
        boolean hasRegion = container.hasEnv(AWS_REGION) || container.hasEnv(AWS_DEFAULT_REGION);
        boolean hasRegionalSts = container.hasEnv(AWS_STS_REGIONAL_ENDPOINTS);
        // Kept from the AWS webhook for compatibility: a container that already has credentials,
        // a region and the STS setting is left completely alone, its mount included.
        if (hasCredentials && hasRegion && hasRegionalSts) {
            return;
        }

        String containerPath = arrayPath + container.index();
        List<PatchValue> env = new ArrayList<>(6);
        // 1. regional STS, when on
        if (identity.regionalSts() && !hasRegionalSts) {
            env.add(new PatchValue.EnvVar(AWS_STS_REGIONAL_ENDPOINTS, "regional"));
        }
        // 2. both region variables, only when neither is present
        if (identity.region() != null && !hasRegion) {
            env.add(new PatchValue.EnvVar(AWS_DEFAULT_REGION, identity.region()));
            env.add(new PatchValue.EnvVar(AWS_REGION, identity.region()));
        }
        // 3. the mode's pair, only when neither is present
        if (!hasCredentials) {
            env.add(new PatchValue.EnvVar(mode.credentialVariable(), identity.credential()));
            env.add(new PatchValue.EnvVar(mode.tokenFileVariable(), tokenFile));
            // 4. the session name travels with the pair (IRSA only; null otherwise)
            if (identity.roleSessionName() != null && !container.hasEnv(AWS_ROLE_SESSION_NAME)) {
                env.add(RoleSessionName.fits(pod.name())
                        ? new PatchValue.FieldRefEnvVar(AWS_ROLE_SESSION_NAME, "metadata.name")
                        : new PatchValue.EnvVar(AWS_ROLE_SESSION_NAME, identity.roleSessionName().fallback()));
            }
        }
        appendAll(containerPath + "/env", container.hasEnv(), env, ops);

        // 5. the mount, unless the container mounts the volume already or its path is taken
        TokenProjection token = identity.token();
        if (!container.hasMountNamed(token.volumeName())) {
            if (container.hasMountAt(token.mountPath())) {
                warnings.add("container " + container.name() + " already mounts another volume at "
                        + token.mountPath() + "; the token volume " + token.volumeName() + " was not mounted there");
            } else {
                appendAll(containerPath + "/volumeMounts", container.hasMounts(),
                        List.of(new PatchValue.VolumeMount(token.volumeName(), token.mountPath())), ops);
            }
        }
    }

    /** Appends each value to the array, or creates the array with all of them in one operation. */
    private static void appendAll(String arrayPath, boolean arrayExists, List<PatchValue> values, List<PatchOp> ops) {
        if (values.isEmpty()) {
            return;
        }
        if (!arrayExists) {
            ops.add(new PatchOp(arrayPath, new PatchValue.Array(values)));
            return;
        }
        String append = arrayPath + "/-";
        for (PatchValue value : values) {
            ops.add(new PatchOp(append, value));
        }
    }

    /** Only if absent, like everything else: a value the pod's author set is theirs (no replace). */
    private static void addPodIdentityLabel(PodView pod, List<PatchOp> ops) {
        PatchValue enabled = new PatchValue.Text(POD_IDENTITY_LABEL_VALUE);
        if (!pod.hasMetadata()) {
            ops.add(new PatchOp("/metadata", new PatchValue.Member("labels",
                    new PatchValue.Member(POD_IDENTITY_LABEL, enabled))));
        } else if (pod.labels() == null) {
            ops.add(new PatchOp("/metadata/labels", new PatchValue.Member(POD_IDENTITY_LABEL, enabled)));
        } else if (!pod.labels().containsKey(POD_IDENTITY_LABEL)) {
            ops.add(new PatchOp("/metadata/labels/" + PatchOp.escape(POD_IDENTITY_LABEL), enabled));
        }
    }

    /** A container named in skip- or include-containers that the pod does not have is likely a typo. */
    private static void warnAboutAbsentNames(PodView pod, ContainerSelector selector, List<String> warnings) {
        if (selector.skipped().isEmpty() && selector.included() == null) {
            return;
        }
        Set<String> named = new LinkedHashSet<>(selector.skipped());
        if (selector.included() != null) {
            named.addAll(selector.included());
        }
        if (named.isEmpty()) {
            return;
        }
        for (PodView.Container c : pod.initContainers()) {
            named.remove(c.name());
        }
        for (PodView.Container c : pod.containers()) {
            named.remove(c.name());
        }
        for (String name : named.stream().sorted().toList()) {
            warnings.add("container " + name + " named in skip-containers or include-containers is not in this pod");
        }
    }

    /** {@code /var/run/x/token} → {@code C:\var\run\x\token}. */
    static String windowsPath(String path) {
        return "C:" + path.replace('/', '\\');
    }
}
