package dev.emend.gateway.service;

import dev.emend.api.v1.ScoreRequest;
import dev.emend.gateway.client.PhaseName;
import dev.emend.gateway.client.Phases;
import dev.emend.gateway.mapping.GenerationJson;
import dev.emend.gateway.mapping.ProtoMapper;
import dev.emend.gateway.rest.ProblemException;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.inject.Inject;

/** Generate and score on a space, routed to the phase that owns it. */
@ApplicationScoped
public class GenerationService {
    @Inject
    SpaceService spaces;
    @Inject
    Phases phases;
    @Inject
    ProtoMapper mapper;

    public GenerationJson.GeneratedJson generate(String space, String phaseParam, GenerationJson.GenerateJson body) {
        var request = mapper.generate(space, body);
        PhaseName phase = spaces.phaseOf(space, phaseParam);
        return generate(phase, request);
    }

    public GenerationJson.GeneratedJson generate(PhaseName phase, dev.emend.api.v1.GenerateRequest request) {
        return ProtoMapper.generated(phases.call(phase, c -> c.generate(request)));
    }

    public GenerationJson.ScoredJson score(String space, String phaseParam, GenerationJson.ScoreJson body) {
        if (body == null) {
            throw ProblemException.badRequest(null, "The body is empty; send {\"prompt\": \"...\", \"target\": \"...\"}.");
        }
        mapper.prompt(body.prompt(), "prompt");
        mapper.prompt(body.target(), "target");
        PhaseName phase = spaces.phaseOf(space, phaseParam);
        return ProtoMapper.scored(phases.call(phase, c -> c.score(ScoreRequest.newBuilder().setSpace(space)
                .setPrompt(body.prompt()).setTarget(body.target()).build())));
    }
}
