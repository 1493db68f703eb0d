package dev.podidentity.admission;

import dev.podidentity.config.LookupFailurePolicy;
import dev.podidentity.identity.IdentityResolver;
import dev.podidentity.identity.Resolution;
import dev.podidentity.mutation.Mutation;
import dev.podidentity.mutation.PodMutator;
import dev.podidentity.mutation.PodView;
import dev.podidentity.serviceaccount.KubernetesNames;

import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.function.Consumer;

/**
 * Answers one AdmissionReview: decode, resolve the identity, mutate, encode; and logs one line per
 * decision (never the pod itself).
 *
 * <pre>{@code
 * var handler = new AdmissionHandler("default", resolver, new DecisionLog(), AnswerLimits.defaults(),
 *         InFlightBytes.of(8 << 20, 6 << 20));
 * AdmissionReviewAnswer answer = handler.handle(objectMapper.readValue(reviewBytes, AdmissionReview.class));
 * }</pre>
 */
public final class AdmissionHandler {

    private static final int QUOTED_CHARS = 64;

    private final String cluster;
    /** Null for a cluster that cannot be served. */
    private final IdentityResolver resolver;
    /** Why the cluster cannot be served, or null. */
    private final String unservable;
    private final LookupFailurePolicy unservablePolicy;
    private final Consumer<Decision> decisions;
    private final AnswerLimits limits;
    private final InFlightBytes inFlight;

    /** Patches of more operations than this (~64 KiB) reserve their size before they are written. */
    static final int LARGE_PATCH_OPS = 384;
    /** About the most one operation takes, for the reservation: path, env var and a long role ARN. */
    static final int BYTES_PER_OP = 192;

    /**
     * @param cluster the cluster this handler answers for, in every decision
     * @param decisions told about every decision (log line, metrics)
     * @param limits how large a pod it mutates, and how large a patch it writes
     * @param inFlight where a large patch reserves its size before it is written (shared by all
     *     clusters with the HTTP edge, which reserves each request's body)
     */
    public AdmissionHandler(String cluster, IdentityResolver resolver, Consumer<Decision> decisions,
            AnswerLimits limits, InFlightBytes inFlight) {
        this(cluster, Objects.requireNonNull(resolver, "resolver"), null, null, decisions, limits, inFlight);
    }

    private AdmissionHandler(String cluster, IdentityResolver resolver, String unservable,
            LookupFailurePolicy unservablePolicy, Consumer<Decision> decisions, AnswerLimits limits,
            InFlightBytes inFlight) {
        this.cluster = Objects.requireNonNull(cluster, "cluster");
        this.resolver = resolver;
        this.unservable = unservable;
        this.unservablePolicy = unservablePolicy;
        this.decisions = Objects.requireNonNull(decisions, "decisions");
        this.limits = Objects.requireNonNull(limits, "limits");
        this.inFlight = Objects.requireNonNull(inFlight, "inFlight");
    }

    /**
     * The handler of a cluster that cannot be served (its registration is broken, its client cannot
     * be built): reviews are read and checked as always, and each pod creation is answered as
     * {@code onLookupFailure} says, with {@code why} as its warning or denial, and its decision.
     */
    public static AdmissionHandler unservable(String cluster, String why, LookupFailurePolicy onLookupFailure,
            Consumer<Decision> decisions) {
        return new AdmissionHandler(cluster, null, Objects.requireNonNull(why, "why"),
                Objects.requireNonNull(onLookupFailure, "onLookupFailure"), decisions, AnswerLimits.defaults(),
                InFlightBytes.of(InFlightBytes.MIN_WEIGHT));
    }

    /**
     * @param review the body as read, null for an empty body
     * @throws BadReviewException when the body is not an AdmissionReview with a request
     */
    public AdmissionReviewAnswer handle(AdmissionReview review) {
        long started = System.nanoTime();
        AdmissionRequest request;
        try {
            request = AdmissionReview.request(review);
        } catch (BadReviewException e) {
            decisions.accept(new Decision(cluster, "", "", "", "none", Outcome.ERROR, e.getMessage(),
                    System.nanoTime() - started, ""));
            throw e;
        }
        if (!request.isPodCreate()) {
            // The webhook configuration should send only pod CREATE; anything else passes untouched.
            return AdmissionReviewAnswer.of(request, AdmissionReviewAnswer.Response.allowed(request.uid(), List.of()));
        }
        if (request.namespace() == null || request.namespace().isEmpty()) {
            return deny(request, null, "request.namespace is missing: cannot find the pod's ServiceAccount",
                    "no namespace", started);
        }
        PodView pod = request.pod();
        if (pod == null) {
            return deny(request, null, request.podProblem(), "unreadable pod", started);
        }
        // Names go into API URLs: check them as the API server does, before any lookup. Such a pod
        // would be refused by the API server anyway; a denial says why in the function's words.
        if (!KubernetesNames.isNamespace(request.namespace())) {
            return deny(request, pod, "request.namespace '" + quoted(request.namespace())
                    + "' is not a valid namespace name: a DNS-1123 label (at most 63 lower-case letters, digits"
                    + " and '-', starting and ending with a letter or digit)", "invalid namespace", started);
        }
        if (!KubernetesNames.isServiceAccountName(pod.serviceAccountName())) {
            return deny(request, pod, "spec.serviceAccountName '" + quoted(pod.serviceAccountName())
                    + "' is not a valid ServiceAccount name: a DNS-1123 subdomain (at most 253 lower-case letters,"
                    + " digits, '-' and '.', each part between dots starting and ending with a letter or digit)",
                    "invalid service account name", started);
        }

        if (unservable != null) {
            return notMutated(request, pod, "none", List.of(), unservablePolicy, unservable, "cluster unusable",
                    started);
        }
        Resolution resolution = resolver.resolve(request.namespace(), pod.serviceAccountName(), pod.annotations());
        if (resolution.denied()) {
            return deny(request, pod, resolution.denial(), resolution.reason(), started);
        }
        if (resolution.identity() == null) {
            log(request, pod, "none", Outcome.NOT_MUTATED, resolution.reason(), started);
            return AdmissionReviewAnswer.of(request,
                    AdmissionReviewAnswer.Response.allowed(request.uid(), resolution.warnings()));
        }

        String mode = resolution.identity().mode().metricName();
        // The patch grows with the containers: refuse before making it, not after running out of heap.
        int containers = pod.initContainers().size() + pod.containers().size();
        if (containers > limits.maxContainers()) {
            return notMutated(request, pod, mode, resolution.warnings(), resolver.settings().onLookupFailure(),
                    "the pod has " + containers
                    + " containers, more than the " + limits.maxContainers() + " this function mutates", "too large",
                    started);
        }
        Mutation mutation = PodMutator.mutate(pod, resolution.identity());
        List<String> warnings = new ArrayList<>(resolution.warnings());
        warnings.addAll(mutation.warnings());
        if (!mutation.changesPod()) {
            log(request, pod, mode, Outcome.NOT_MUTATED,
                    mutation.warnings().isEmpty() ? "already mutated" : "conflict", started);
            return AdmissionReviewAnswer.of(request, AdmissionReviewAnswer.Response.allowed(request.uid(), warnings));
        }
        // A large patch (and the answer that carries it, a few times its size) reserves its bytes
        // first, so that many at once cannot take the heap; ordinary ones do not pay for this.
        long reserved = mutation.ops().size() > LARGE_PATCH_OPS
                ? Math.min((long) mutation.ops().size() * BYTES_PER_OP, limits.maxPatchBytes()) : 0;
        if (reserved > 0 && !inFlight.tryReserve(reserved)) {
            return notMutated(request, pod, mode, resolution.warnings(), resolver.settings().onLookupFailure(),
                    "the function is writing as many large patches as"
                    + " its memory allows; retry", "busy", started);
        }
        byte[] patch;
        try {
            patch = JsonPatchWriter.write(mutation.ops(), limits.maxPatchBytes());
        } catch (DocumentTooLargeException e) {
            return notMutated(request, pod, mode, resolution.warnings(), resolver.settings().onLookupFailure(),
                    "its patch would be longer than "
                    + limits.maxPatchBytes() + " bytes", "too large", started);
        } finally {
            if (reserved > 0) {
                inFlight.release(reserved);
            }
        }
        log(request, pod, mode, Outcome.MUTATED, resolution.reason(), started);
        return AdmissionReviewAnswer.of(request, AdmissionReviewAnswer.Response.patched(request.uid(), patch, warnings));
    }

    /**
     * A pod that should be mutated and cannot be (too large, or too many large ones at once): the
     * same choice as for a ServiceAccount that cannot be read, as the cluster's
     * {@code on-lookup-failure} says. Admitted, it runs without AWS credentials and its creator
     * sees why; denied, its creator sees why and nothing runs without credentials.
     */
    private AdmissionReviewAnswer notMutated(AdmissionRequest request, PodView pod, String mode,
            List<String> resolutionWarnings, LookupFailurePolicy policy, String why, String reason, long started) {
        if (policy == LookupFailurePolicy.DENY) {
            log(request, pod, mode, Outcome.DENIED, reason, started); // the mode it would have had
            return denied(request, "AWS credentials cannot be added to this pod: " + why);
        }
        List<String> warnings = new ArrayList<>(resolutionWarnings);
        warnings.add("AWS credentials were not added to this pod: " + why + "; pod admitted without AWS credentials");
        log(request, pod, mode, Outcome.NOT_MUTATED, reason + ": " + why, started);
        return AdmissionReviewAnswer.of(request, AdmissionReviewAnswer.Response.allowed(request.uid(), warnings));
    }

    /** A denial before any identity was found: logged with mode {@code none}. */
    private AdmissionReviewAnswer deny(AdmissionRequest request, PodView pod, String message, String reason,
            long started) {
        log(request, pod, "none", Outcome.DENIED, reason, started);
        return denied(request, message);
    }

    private static AdmissionReviewAnswer denied(AdmissionRequest request, String message) {
        return AdmissionReviewAnswer.of(request, AdmissionReviewAnswer.Response.denied(request.uid(), 400, message));
    }

    private void log(AdmissionRequest request, PodView pod, String mode, Outcome outcome, String reason,
            long started) {
        decisions.accept(new Decision(cluster, orEmpty(request.namespace()), pod == null ? "" : pod.displayName(),
                pod == null ? "" : pod.serviceAccountName(), mode, outcome, reason, System.nanoTime() - started,
                orEmpty(request.uid())));
    }

    /** At most {@value #QUOTED_CHARS} characters of a value echoed in a message. */
    private static String quoted(String value) {
        return value.length() <= QUOTED_CHARS ? value : value.substring(0, QUOTED_CHARS) + "…";
    }

    private static String orEmpty(String value) {
        return value == null ? "" : value;
    }
}
