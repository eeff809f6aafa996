package dev.emend.core.edit;

/** The type of an hparam value (mirrors emend.v1.HparamType). */
public enum HparamType { INT, FLOAT, BOOL, STRING, INT_LIST, FLOAT_LIST, STRING_LIST }
