package dev.emend.gateway.entity;

import jakarta.persistence.Entity;
import jakarta.persistence.GeneratedValue;
import jakarta.persistence.GenerationType;
import jakarta.persistence.Id;
import jakarta.persistence.JoinColumn;
import jakarta.persistence.ManyToOne;
import jakarta.persistence.Table;

/** One arm of an experiment: a space (in its phase) and its weight. */
@Entity
@Table(name = "experiment_arm")
public class ArmEntity {
    @Id
    @GeneratedValue(strategy = GenerationType.IDENTITY)
    public Long id;
    @ManyToOne
    @JoinColumn(name = "experiment_id")
    public ExperimentEntity experiment;
    public int position;
    public String name;
    public String space;
    public String phase;
    public double weight;
}
