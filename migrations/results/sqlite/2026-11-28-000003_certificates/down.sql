DROP TABLE certificates;
DROP TABLE crls;
DROP TABLE trust_anchors;
DROP TABLE trust_store;
