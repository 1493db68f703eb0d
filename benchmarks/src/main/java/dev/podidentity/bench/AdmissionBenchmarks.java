package dev.podidentity.bench;

import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonGenerator;
import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonToken;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.ObjectReader;
import com.github.benmanes.caffeine.cache.Ticker;

import dev.podidentity.admission.AdmissionHandler;
import dev.podidentity.admission.AdmissionJson;
import dev.podidentity.admission.AdmissionReviewAnswer;
import dev.podidentity.admission.AdmissionReviewAnswerWriter;
import dev.podidentity.admission.JsonLimits;
import dev.podidentity.admission.JsonPatchWriter;
import dev.podidentity.admission.AnswerLimits;
import dev.podidentity.admission.InFlightBytes;
import dev.podidentity.identity.IdentityResolver;
import dev.podidentity.identity.IdentitySettings;
import dev.podidentity.identity.PodIdentityAssociations;
import dev.podidentity.identity.Resolution;
import dev.podidentity.identity.RoleMappingSource;
import dev.podidentity.identity.Identity;
import dev.podidentity.mutation.Mutation;
import dev.podidentity.mutation.PodMutator;
import dev.podidentity.mutation.PodView;
import dev.podidentity.serviceaccount.CachedLookup;
import dev.podidentity.serviceaccount.LookupSettings;
import dev.podidentity.serviceaccount.ServiceAccount;
import dev.podidentity.serviceaccount.ServiceAccountRef;

import io.fabric8.kubernetes.api.model.Container;
import io.fabric8.kubernetes.api.model.EnvVar;
import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.api.model.PodBuilder;
import io.fabric8.kubernetes.api.model.Volume;
import io.fabric8.kubernetes.api.model.VolumeBuilder;
import io.fabric8.kubernetes.api.model.VolumeMount;
import io.fabric8.kubernetes.api.model.admission.v1.AdmissionRequest;
import io.fabric8.kubernetes.api.model.admission.v1.AdmissionResponse;
import io.fabric8.kubernetes.api.model.admission.v1.AdmissionReview;
import io.fabric8.zjsonpatch.JsonDiff;

import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;
import org.openjdk.jmh.annotations.Warmup;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;

/**
 * The admission hot path against a typed-model baseline and a parsing floor, per fixture.
 *
 * <ul>
 *   <li>{@code mutationCore}: PodView (read once) → PodMutator → JsonPatchWriter.</li>
 *   <li>{@code fullPath}: request bytes → streaming read (AdmissionReviewReader) → AdmissionHandler
 *       (resolver behind a warm CachedLookup) → answer bytes.</li>
 *   <li>{@code typedDiffBaseline}: what a java-operator-sdk (josdk-webhooks) mutating webhook does
 *       by default: fabric8 AdmissionReview/Pod, a clone by serialising and reading back, mutate the
 *       clone, both pods to trees, zjsonpatch diff, base64 of the diff's string.</li>
 *   <li>{@code typedDiffBuilderCopy}: the same with the cheapest typed copy (a builder copy) and the
 *       diff written as bytes: a hand-tuned typed webhook.</li>
 *   <li>{@code floor}: stream every token of the request, write an answer of the same shape and
 *       patch length: what no implementation can beat by much.</li>
 *   <li>{@code cacheHit}: CachedLookup.get on a warm key (does not depend on the fixture).</li>
 * </ul>
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.MICROSECONDS)
@Fork(1)
@Warmup(iterations = 3, time = 2)
@Measurement(iterations = 5, time = 2)
public class AdmissionBenchmarks {

    static final String ROLE_ARN = "arn:aws:iam::111122223333:role/s3-reader";
    static final String REGION = "eu-west-1";
    static final String AUDIENCE = "sts.amazonaws.com";
    static final String MOUNT_PATH = "/var/run/secrets/eks.amazonaws.com/serviceaccount";
    static final String VOLUME = "aws-iam-token";

    /** A bundled fixture (small, typical, large) or, with -Dfixtures=DIR, a file of DIR. */
    @Param({"small", "typical", "large"})
    public String fixture;

    byte[] request;

    // shared, reused, as the function reuses them
    ObjectMapper mapper;
    ObjectReader treeReader;
    ObjectReader reviewReader;
    JsonFactory factory;

    ExecutorService lookupExecutor;
    CachedLookup<ServiceAccountRef, Optional<ServiceAccount>> serviceAccounts;
    ServiceAccountRef warmKey;
    AdmissionHandler handler;

    // mutationCore
    PodView podView;
    Identity identity;

    // floor
    String uid;
    byte[] patchOfSameLength;

    // baseline
    ObjectMapper fabric8Mapper;

    @Setup(Level.Trial)
    public void setUp() throws IOException {
        request = Fixtures.load(fixture);
        mapper = new ObjectMapper();
        new JsonLimits().customize(mapper); // as the function's mapper is configured
        new AdmissionJson().customize(mapper);
        treeReader = mapper.readerFor(JsonNode.class);
        reviewReader = mapper.readerFor(dev.podidentity.admission.AdmissionReview.class);
        factory = mapper.getFactory();

        lookupExecutor = Executors.newSingleThreadExecutor(r -> {
            Thread t = new Thread(r, "lookup");
            t.setDaemon(true);
            return t;
        });
        // Every ServiceAccount is annotated for IRSA with regional STS: every container is mutated.
        serviceAccounts = new CachedLookup<>("ServiceAccount",
                ref -> Optional.of(new ServiceAccount(ref, Map.of(
                        "eks.amazonaws.com/role-arn", ROLE_ARN,
                        "eks.amazonaws.com/sts-regional-endpoints", "true"))),
                LookupSettings.defaults(), Ticker.systemTicker(), lookupExecutor);
        IdentityResolver resolver = new IdentityResolver(IdentitySettings.builder().region(REGION).build(),
                serviceAccounts::get, PodIdentityAssociations.NONE, RoleMappingSource.NONE, () -> 42L);
        handler = new AdmissionHandler("bench", resolver, decision -> { }, AnswerLimits.defaults(), InFlightBytes.of(1L << 40));

        JsonNode review = treeReader.readValue(request);
        JsonNode req = review.path("request");
        uid = req.path("uid").asText();
        podView = reviewReader.<dev.podidentity.admission.AdmissionReview>readValue(request).request().pod();
        warmKey = new ServiceAccountRef(req.path("namespace").asText(), podView.serviceAccountName());
        serviceAccounts.get(warmKey); // warm
        Resolution resolution = resolver.resolve(warmKey.namespace(), podView.serviceAccountName(),
                podView.annotations());
        if (resolution.identity() == null) {
            throw new IllegalStateException("fixture " + fixture + " is not mutated: " + resolution.reason());
        }
        identity = resolution.identity();

        AdmissionReviewAnswer answer = handler.handle(reviewReader.readValue(request));
        if (answer.response().patch() == null) {
            throw new IllegalStateException("fixture " + fixture + " gets no patch: " + answer.response());
        }
        patchOfSameLength = answer.response().patch();

        fabric8Mapper = new ObjectMapper();
    }

    @TearDown(Level.Trial)
    public void tearDown() {
        lookupExecutor.shutdownNow();
    }

    @Benchmark
    public byte[] mutationCore() {
        Mutation mutation = PodMutator.mutate(podView, identity);
        return JsonPatchWriter.write(mutation.ops(), Integer.MAX_VALUE);
    }

    @Benchmark
    public byte[] fullPath() throws IOException {
        dev.podidentity.admission.AdmissionReview review = reviewReader.readValue(request);
        AdmissionReviewAnswer answer = handler.handle(review);
        return AdmissionReviewAnswerWriter.toBytes(answer); // as AdmissionHttp answers
    }

    /**
     * josdk-webhooks' {@code DefaultAdmissionRequestMutator} with its default {@code ObjectMapperCloner}
     * and {@code AdmissionUtils.admissionResponseFromMutation}, then the answer written.
     */
    @Benchmark
    public byte[] typedDiffBaseline() throws IOException {
        AdmissionReview review = fabric8Mapper.readValue(request, AdmissionReview.class);
        AdmissionRequest req = review.getRequest();
        Pod pod = (Pod) req.getObject();
        Pod copy = fabric8Mapper.readValue(fabric8Mapper.writeValueAsString(pod), Pod.class);
        mutateTyped(copy);
        JsonNode diff = JsonDiff.asJson(fabric8Mapper.valueToTree(pod), fabric8Mapper.valueToTree(copy));
        String patch = Base64.getEncoder().encodeToString(diff.toString().getBytes(StandardCharsets.UTF_8));
        return answer(review, req, patch);
    }

    /** The typed approach with the cheapest copy and the diff written straight to bytes. */
    @Benchmark
    public byte[] typedDiffBuilderCopy() throws IOException {
        AdmissionReview review = fabric8Mapper.readValue(request, AdmissionReview.class);
        AdmissionRequest req = review.getRequest();
        Pod pod = (Pod) req.getObject();
        Pod copy = new PodBuilder(pod).build();
        mutateTyped(copy);
        JsonNode diff = JsonDiff.asJson(fabric8Mapper.valueToTree(pod), fabric8Mapper.valueToTree(copy));
        return answer(review, req, Base64.getEncoder().encodeToString(fabric8Mapper.writeValueAsBytes(diff)));
    }

    private byte[] answer(AdmissionReview review, AdmissionRequest req, String base64Patch) throws IOException {
        AdmissionResponse response = new AdmissionResponse();
        response.setUid(req.getUid());
        response.setAllowed(true);
        response.setPatchType("JSONPatch");
        response.setPatch(base64Patch);
        AdmissionReview answer = new AdmissionReview();
        answer.setApiVersion(review.getApiVersion());
        answer.setKind(review.getKind());
        answer.setResponse(response);
        return fabric8Mapper.writeValueAsBytes(answer);
    }

    @Benchmark
    public byte[] floor() throws IOException {
        int tokens = 0;
        try (JsonParser parser = factory.createParser(request)) {
            while (parser.nextToken() != null) {
                tokens++;
            }
        }
        ByteArrayOutputStream out = new ByteArrayOutputStream(128 + patchOfSameLength.length * 4 / 3);
        try (JsonGenerator gen = factory.createGenerator(out)) {
            gen.writeStartObject();
            gen.writeStringField("apiVersion", "admission.k8s.io/v1");
            gen.writeStringField("kind", "AdmissionReview");
            gen.writeObjectFieldStart("response");
            gen.writeStringField("uid", uid);
            gen.writeBooleanField("allowed", tokens > 0);
            gen.writeStringField("patchType", "JSONPatch");
            gen.writeFieldName("patch");
            gen.writeBinary(patchOfSameLength);
            gen.writeEndObject();
            gen.writeEndObject();
        }
        return out.toByteArray();
    }

    @Benchmark
    public Optional<ServiceAccount> cacheHit() {
        return serviceAccounts.get(warmKey);
    }

    /** The same mutation as PodMutator's for an IRSA identity with a region and regional STS. */
    static void mutateTyped(Pod pod) {
        List<Volume> volumes = pod.getSpec().getVolumes() == null ? new ArrayList<>()
                : new ArrayList<>(pod.getSpec().getVolumes());
        volumes.add(new VolumeBuilder().withName(VOLUME)
                .withNewProjected()
                    .addNewSource()
                        .withNewServiceAccountToken(AUDIENCE, 86400L, "token")
                    .endSource()
                .endProjected()
                .build());
        pod.getSpec().setVolumes(volumes);
        if (pod.getSpec().getInitContainers() != null) {
            pod.getSpec().getInitContainers().forEach(AdmissionBenchmarks::mutateContainer);
        }
        pod.getSpec().getContainers().forEach(AdmissionBenchmarks::mutateContainer);
    }

    private static void mutateContainer(Container c) {
        List<EnvVar> env = c.getEnv() == null ? new ArrayList<>() : new ArrayList<>(c.getEnv());
        env.add(new EnvVar("AWS_STS_REGIONAL_ENDPOINTS", "regional", null));
        env.add(new EnvVar("AWS_DEFAULT_REGION", REGION, null));
        env.add(new EnvVar("AWS_REGION", REGION, null));
        env.add(new EnvVar("AWS_ROLE_ARN", ROLE_ARN, null));
        env.add(new EnvVar("AWS_WEB_IDENTITY_TOKEN_FILE", MOUNT_PATH + "/token", null));
        c.setEnv(env);
        List<VolumeMount> mounts = c.getVolumeMounts() == null ? new ArrayList<>()
                : new ArrayList<>(c.getVolumeMounts());
        VolumeMount mount = new VolumeMount();
        mount.setName(VOLUME);
        mount.setMountPath(MOUNT_PATH);
        mount.setReadOnly(true);
        mounts.add(mount);
        c.setVolumeMounts(mounts);
    }
}
