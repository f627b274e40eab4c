-- The recognition model each deployment uses, and the template algorithm it
-- makes. Existing deployments used the built-in dlib descriptor.
ALTER TABLE deployments ADD COLUMN model TEXT NOT NULL DEFAULT 'dlib-resnet-v1';
ALTER TABLE deployments ADD COLUMN algorithm TEXT NOT NULL DEFAULT 'yunet-n-dynamic/align-yunet5-v1/dlib-resnet-v1';
